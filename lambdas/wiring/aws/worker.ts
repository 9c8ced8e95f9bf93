import { SecretsManagerSecretStore } from '../../adapters/secrets-manager-secret-store';
import type { WorkBatchDeps } from '../../adapters/sqs-batch-handler';
import { readSettings } from '../../core/settings';
import { createFineractClient, createSmsSender } from '../outbound';
import { createStores } from '../stores';
import { createSecretsClient } from './secrets-client';
import { basePorts, createFunctionDocumentClient, createSqsQueue, type LambdaObservability } from './lambda';

export function workerDeps(observability: LambdaObservability, env = process.env): WorkBatchDeps {
  const settings = readSettings(env, {
    require: ['TENANTS_TABLE', 'EVENTS_TABLE', 'QUEUE_URL', 'DLQ_URL', 'SECRET_PREFIX', 'PUBLIC_BASE_URL'],
  });
  const base = basePorts(observability, settings);
  return {
    control: createSqsQueue('worker', settings.queueUrl, settings.deadLetterQueueUrl),
    worker: {
      ...base,
      ...createStores(createFunctionDocumentClient('worker'), settings),
      secrets: new SecretsManagerSecretStore({ client: createSecretsClient('worker'), prefix: settings.secretPrefix }),
      sms: createSmsSender(settings, base.logger),
      fineract: createFineractClient(settings),
    },
  };
}
