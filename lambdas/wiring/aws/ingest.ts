import { type Delegates, lambdaDelegate, lazyLambdaInvoke } from '../../adapters/lambda-delegate';
import { DELEGATE_ENV } from '../../core/routes';
import { Authenticator } from '../../core/api-keys';
import type { IngestDeps } from '../../core/ingest';
import { readSettings } from '../../core/settings';
import { createStores } from '../stores';
import { clientConfigFor } from './sdk-budgets';
import { basePorts, createFunctionDocumentClient, createSqsQueue, type LambdaObservability } from './lambda';

/** DynamoDB and SQS only: nothing here may pull Twilio, Secrets Manager or zod into the ingest bundle. */
export function ingestDeps(
  observability: LambdaObservability,
  env = process.env,
): IngestDeps & { delegates: Delegates } {
  const settings = readSettings(env, { require: ['TENANTS_TABLE', 'EVENTS_TABLE', 'QUEUE_URL'] });
  const base = basePorts(observability, settings);
  const { tenants, events } = createStores(createFunctionDocumentClient('ingest'), settings);
  return {
    ...base,
    auth: new Authenticator(tenants, base.clock, settings.authCacheSeconds),
    events,
    queue: createSqsQueue('ingest', settings.queueUrl),
    delegates: delegatesFrom(env),
  };
}

/**
 * One Lambda client for the delegates, loaded on the first hand-over only: a registration spelling is rare, and
 * every hook's cold start would otherwise pay for requiring the client.
 */
function delegatesFrom(env: NodeJS.ProcessEnv): Delegates {
  const named = (Object.keys(DELEGATE_ENV) as (keyof Delegates)[]).filter((fn) => env[DELEGATE_ENV[fn]]);
  const invoke = lazyLambdaInvoke(clientConfigFor('ingest', 'lambda'));
  return Object.fromEntries(named.map((fn) => [fn, lambdaDelegate(invoke, env[DELEGATE_ENV[fn]]!)]));
}
