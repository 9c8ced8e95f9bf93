import { createHttpHandler } from '../adapters/http-handler';
import { handleHookEvent, handlePing, type IngestDeps } from '../core/ingest';
import { ingestDeps } from '../wiring/aws/ingest';
import { awsLambda } from '../wiring/aws/lambda';

/** Hook deliveries (and the sender's ping): authenticate, parse, store, enqueue, answer. */
export const makeHandler = (getDeps: () => IngestDeps) =>
  createHttpHandler(getDeps, (d) => ({ ping: handlePing, ingest: (request) => handleHookEvent(request, d) }));

export const handler = awsLambda(makeHandler, ingestDeps);
