import { createHttpHandler } from '../adapters/http-handler';
import { handleRegistration, type RegisterDeps } from '../core/registration';
import { registerDeps } from '../wiring/aws/register';
import { awsLambda } from '../wiring/aws/lambda';

/** The SMS Bridge registration handshake: check the provider account, store the tenant, issue a key. */
export const makeHandler = (getDeps: () => RegisterDeps) =>
  createHttpHandler(getDeps, (d) => ({ register: (request) => handleRegistration(request, d) }));

export const handler = awsLambda(makeHandler, registerDeps);
