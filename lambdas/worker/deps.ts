import { SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import { createDocumentClient } from '../adapters/dynamodb-client';
import { DynamoDbEventStore } from '../adapters/dynamodb-event-store';
import { DynamoDbMessageStore } from '../adapters/dynamodb-message-store';
import { DynamoDbTenantStore } from '../adapters/dynamodb-tenant-store';
import { FineractHttpClient } from '../adapters/fineract-http-client';
import { loggerPort, metricsPort } from '../adapters/observability';
import { SecretsManagerSecretStore } from '../adapters/secrets-manager-secret-store';
import { SqsWorkQueue } from '../adapters/sqs-work-queue';
import { TwilioSmsSender } from '../adapters/twilio-sms-sender';
import { systemClock } from '../core/clock';
import { readSettings } from '../core/settings';
import type { WorkerHandlerDeps } from './handler';

export function createWorkerDeps(logger: Logger, metrics: PowertoolsMetrics): WorkerHandlerDeps {
  const settings = readSettings();
  const doc = createDocumentClient();
  if (!settings.queueUrl) throw new Error('QUEUE_URL is not set');
  const queue = new SqsWorkQueue(new SQSClient({}), settings.queueUrl, settings.deadLetterQueueUrl);
  return {
    control: queue,
    worker: {
      tenants: new DynamoDbTenantStore(doc, settings.tenantsTable),
      events: new DynamoDbEventStore(doc, settings.eventsTable, settings.eventRetentionDays),
      messages: new DynamoDbMessageStore(doc, settings.eventsTable),
      secrets: new SecretsManagerSecretStore({ prefix: settings.secretPrefix }),
      sms: new TwilioSmsSender({ apiBaseUrl: settings.twilioApiBaseUrl, timeoutMs: settings.twilioTimeoutMs }),
      fineract: new FineractHttpClient({
        allowPrivate: settings.allowPrivateEndpoints,
        timeoutMs: settings.fineractTimeoutMs,
        rejectUnauthorized: !settings.fineractTlsInsecure,
      }),
      clock: systemClock,
      logger: loggerPort(logger),
      metrics: metricsPort(metrics),
      settings,
    },
  };
}
