import { createDocumentClient } from '../../adapters/dynamodb-client';
import { CachedTargetStore } from '../../adapters/cached-target-store';
import { EventBridgeForwarder } from '../../adapters/eventbridge-forwarder';
import { SecretsManagerSecretStore } from '../../adapters/secrets-manager-secret-store';
import { SecretsManagerTargetSecretStore } from '../../adapters/secrets-manager-target-secrets';
import type { WorkBatchDeps } from '../../adapters/sqs-batch-handler';
import { readSettings } from '../../core/settings';
import { timedFineractClient } from '../../core/timed-fineract';
import { createFineractClient, createHttpForwarder, createTwilioSender } from '../outbound';
import { createForwardStores, createStores } from '../stores';
import { basePorts, createSqsQueue, type LambdaObservability } from './lambda';

export function workerDeps(observability: LambdaObservability, env = process.env): WorkBatchDeps {
  const settings = readSettings(env, {
    require: ['TENANTS_TABLE', 'EVENTS_TABLE', 'QUEUE_URL', 'DLQ_URL', 'SECRET_PREFIX', 'PUBLIC_BASE_URL'],
  });
  const doc = createDocumentClient();
  const stores = createStores(doc, settings);
  const forwardStores = createForwardStores(doc, settings);
  const base = basePorts(observability, settings);
  return {
    control: createSqsQueue(settings.queueUrl, settings.deadLetterQueueUrl),
    worker: {
      ...base,
      ...stores,
      secrets: new SecretsManagerSecretStore({ prefix: settings.secretPrefix }),
      sms: createTwilioSender(settings),
      fineract: timedFineractClient(createFineractClient(settings), base),
      // Forwarding runs in the worker: one pipeline, one delivery state machine, one retry and dead state.
      forward: {
        targets: new CachedTargetStore(forwardStores.targets),
        targetSecrets: new SecretsManagerTargetSecretStore({ prefix: settings.secretPrefix }),
        deliveries: forwardStores.deliveries,
        webhooks: createHttpForwarder(settings),
        bus: new EventBridgeForwarder(),
      },
    },
  };
}
