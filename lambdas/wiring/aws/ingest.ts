import { DynamoDbEventStore } from '../../adapters/dynamodb-event-store';
import { DynamoDbTenantStore } from '../../adapters/dynamodb-tenant-store';
import { type Delegates, lambdaDelegate, lazyLambdaInvoke } from '../../adapters/lambda-delegate';
import { Authenticator } from '../../core/api-keys';
import type { IngestDeps } from '../../core/ingest';
import { DELEGATE_ENV } from '../../core/routes';
import { readSettings } from '../../core/settings';
import { basePorts, createFunctionDocumentClient, createSqsQueue, type LambdaObservability } from './lambda';
import { awsDataProtection } from './data-key';
import { clientConfigFor } from './sdk-budgets';

/** DynamoDB and SQS only: nothing here may pull Twilio, Secrets Manager or zod into the ingest bundle. */
export function ingestDeps(
  observability: LambdaObservability,
  env = process.env,
): IngestDeps & { delegates: Delegates } {
  const settings = readSettings(env, { require: ['TENANTS_TABLE', 'EVENTS_TABLE', 'QUEUE_URL'] });
  const base = basePorts(observability, settings);
  // The two stores it uses, not createStores: the message stores would only weigh on the cold start.
  const doc = createFunctionDocumentClient('ingest');
  const tenants = new DynamoDbTenantStore(doc, settings.tenantsTable);
  // Bodies are sealed at rest: the key's Secrets Manager client is loaded lazily (data-protection.ts).
  const events = new DynamoDbEventStore(
    doc,
    settings.eventsTable,
    settings.eventRetentionDays,
    awsDataProtection('ingest', settings),
  );
  return {
    ...base,
    auth: new Authenticator(tenants, base.clock, settings.authCacheSeconds),
    events,
    enrollments: tenants,
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
