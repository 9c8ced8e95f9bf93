import { Authenticator } from '../../core/api-keys';
import type { IngestDeps } from '../../core/ingest';
import { readSettings } from '../../core/settings';
import { createStores } from '../stores';
import { basePorts, createFunctionDocumentClient, createSqsQueue, type LambdaObservability } from './lambda';

/** DynamoDB and SQS only: nothing here may pull Twilio, Secrets Manager or zod into the ingest bundle. */
export function ingestDeps(observability: LambdaObservability, env = process.env): IngestDeps {
  const settings = readSettings(env, { require: ['TENANTS_TABLE', 'EVENTS_TABLE', 'QUEUE_URL'] });
  const base = basePorts(observability, settings);
  const { tenants, events } = createStores(createFunctionDocumentClient('ingest'), settings);
  return {
    ...base,
    auth: new Authenticator(tenants, base.clock, settings.authCacheSeconds),
    events,
    queue: createSqsQueue('ingest', settings.queueUrl),
  };
}
