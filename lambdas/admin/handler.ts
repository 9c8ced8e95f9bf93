import { createHttpHandler } from '../adapters/http-handler';
import { type AdminDeps, handleDeleteConfig, handleGetConfig, handleListEvents, handleResend } from '../core/admin';
import { adminDeps } from '../wiring/aws/admin';
import { awsLambda } from '../wiring/aws/lambda';

/** The old bridge's API for a tenant's own key: configuration, events, resend. */
export const makeHandler = (getDeps: () => AdminDeps) =>
  createHttpHandler(getDeps, (d) => ({
    getConfig: (request) => handleGetConfig(request, d),
    deleteConfig: (request) => handleDeleteConfig(request, d),
    listEvents: (request) => handleListEvents(request, d),
    resendEvents: (request) => handleResend(request, d),
  }));

export const handler = awsLambda(makeHandler, adminDeps);
