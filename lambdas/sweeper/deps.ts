import { SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import { createDocumentClient } from '../adapters/dynamodb-client';
import { DynamoDbEventStore } from '../adapters/dynamodb-event-store';
import { loggerPort, metricsPort } from '../adapters/observability';
import { SqsWorkQueue } from '../adapters/sqs-work-queue';
import { systemClock } from '../core/clock';
import { readSettings } from '../core/settings';
import type { SweeperDeps } from '../core/sweeper';

export function createSweeperDeps(logger: Logger, metrics: PowertoolsMetrics): SweeperDeps {
  const settings = readSettings();
  if (!settings.queueUrl) throw new Error('QUEUE_URL is not set');
  return {
    events: new DynamoDbEventStore(createDocumentClient(), settings.eventsTable, settings.eventRetentionDays),
    queue: new SqsWorkQueue(new SQSClient({}), settings.queueUrl),
    clock: systemClock,
    logger: loggerPort(logger),
    metrics: metricsPort(metrics),
    settings,
  };
}
