import { createDocumentClient } from '../../adapters/dynamodb-client';
import { Authenticator } from '../../core/api-keys';
import type { IngestDeps } from '../../core/ingest';
import { readSettings } from '../../core/settings';
import { DynamoDbEventStore } from '../../adapters/dynamodb-event-store';
import { DynamoDbTenantStore } from '../../adapters/dynamodb-tenant-store';
import { basePorts, createSqsQueue, type LambdaObservability } from './lambda';

/** DynamoDB and SQS only: nothing here may pull Twilio, Secrets Manager or zod into the ingest bundle. */
export function ingestDeps(observability: LambdaObservability, env = process.env): IngestDeps {
  const settings = readSettings(env, { require: ['TENANTS_TABLE', 'EVENTS_TABLE', 'QUEUE_URL'] });
  const base = basePorts(observability, settings);
  // The two stores it uses, not createStores: the message stores would only weigh on the cold start.
  const doc = createDocumentClient();
  const tenants = new DynamoDbTenantStore(doc, settings.tenantsTable);
  const events = new DynamoDbEventStore(doc, settings.eventsTable, settings.eventRetentionDays);
  return {
    ...base,
    auth: new Authenticator(tenants, base.clock, settings.authCacheSeconds),
    events,
    enrollments: tenants,
    queue: createSqsQueue(settings.queueUrl),
  };
}
