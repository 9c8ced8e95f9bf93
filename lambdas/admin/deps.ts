import { SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import { createDocumentClient } from '../adapters/dynamodb-client';
import { DynamoDbEventStore, DynamoDbMessageStore } from '../adapters/dynamodb-event-store';
import { DynamoDbTenantStore } from '../adapters/dynamodb-tenant-store';
import { loggerPort, metricsPort } from '../adapters/observability';
import { SecretsManagerSecretStore } from '../adapters/secrets-manager-secret-store';
import { SqsWorkQueue } from '../adapters/sqs-work-queue';
import type { AdminDeps } from '../core/admin';
import { Authenticator } from '../core/api-keys';
import { systemClock } from '../core/clock';
import { readSettings } from '../core/settings';

export function createAdminDeps(logger: Logger, metrics: PowertoolsMetrics): AdminDeps {
  const settings = readSettings();
  const doc = createDocumentClient();
  const tenants = new DynamoDbTenantStore(doc, settings.tenantsTable);
  if (!settings.queueUrl) throw new Error('QUEUE_URL is not set');
  return {
    // No key cache here: a DELETE must take effect at once for this function.
    auth: new Authenticator(tenants, systemClock, 0),
    tenants,
    events: new DynamoDbEventStore(doc, settings.eventsTable, settings.eventRetentionDays),
    messages: new DynamoDbMessageStore(doc, settings.eventsTable),
    secrets: new SecretsManagerSecretStore({ prefix: settings.secretPrefix }),
    queue: new SqsWorkQueue(new SQSClient({}), settings.queueUrl),
    clock: systemClock,
    logger: loggerPort(logger),
    metrics: metricsPort(metrics),
    settings,
  };
}
