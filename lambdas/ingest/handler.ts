import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createHttpHandler } from '../adapters/http-handler';
import { type Delegates, delegateFor } from '../adapters/lambda-delegate';
import { handleHookEvent, handlePing, type IngestDeps } from '../core/ingest';
import { ingestDeps } from '../wiring/aws/ingest';
import { awsLambda } from '../wiring/aws/lambda';

/** Hook deliveries (and the sender's ping): authenticate, parse, store, enqueue, answer. */
export const makeHandler = (getDeps: () => IngestDeps & { delegates?: Delegates }) => {
  const http = createHttpHandler(getDeps, (d) => ({
    ping: handlePing,
    ingest: (request) => handleHookEvent(request, d),
  }));
  // API Gateway's $default: a path spelling no route key matched (`//configuration`) goes to the function that
  // serves its canonical path, instead of a 308 old Java clients do not follow on POST.
  return async (event: APIGatewayProxyEventV2) => {
    const delegate = delegateFor(event, getDeps().delegates);
    return delegate ? delegate(event) : http(event);
  };
};

export const handler = awsLambda(makeHandler, ingestDeps);
