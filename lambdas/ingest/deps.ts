import { SQSClient } from '@aws-sdk/client-sqs';
import type { Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type { Logger } from '@aws-lambda-powertools/logger';
import { createDocumentClient } from '../adapters/dynamodb-client';
import { DynamoDbEventStore } from '../adapters/dynamodb-event-store';
import { DynamoDbTenantStore } from '../adapters/dynamodb-tenant-store';
import { loggerPort, metricsPort } from '../adapters/observability';
import { SqsWorkQueue } from '../adapters/sqs-work-queue';
import { Authenticator } from '../core/api-keys';
import type { IngestDeps } from '../core/ingest';
import { systemClock } from '../core/clock';
import { readSettings } from '../core/settings';

/** AWS wiring of the ingest function: DynamoDB and SQS only, so its bundle stays small. */
export function createIngestDeps(logger: Logger, metrics: PowertoolsMetrics): IngestDeps {
  const settings = readSettings();
  const doc = createDocumentClient();
  const tenants = new DynamoDbTenantStore(doc, settings.tenantsTable);
  if (!settings.queueUrl) throw new Error('QUEUE_URL is not set');
  return {
    auth: new Authenticator(tenants, systemClock, settings.authCacheSeconds),
    events: new DynamoDbEventStore(doc, settings.eventsTable, settings.eventRetentionDays),
    queue: new SqsWorkQueue(new SQSClient({}), settings.queueUrl),
    clock: systemClock,
    logger: loggerPort(logger),
    metrics: metricsPort(metrics),
    settings,
  };
}
