import { CachedTargetStore } from '../../adapters/cached-target-store';
import { CachedTenantStore } from '../../adapters/cached-tenant-store';
import { SecretsManagerSecretStore } from '../../adapters/secrets-manager-secret-store';
import { SecretsManagerTargetSecretStore } from '../../adapters/secrets-manager-target-secrets';
import type { WorkBatchDeps } from '../../adapters/sqs-batch-handler';
import { readSettings } from '../../core/settings';
import { timedFineractClient } from '../../core/timed-fineract';
import { createEventBus, createFineractClient, createHttpForwarder, createSmsSender } from '../outbound';
import { createForwardStores, createStores } from '../stores';
import { basePorts, createFunctionDocumentClient, createSqsQueue, type LambdaObservability } from './lambda';
import { awsDataProtection } from './data-key';
import { clientConfigFor } from './sdk-budgets';
import { createSecretsClient } from './secrets-client';

export function workerDeps(observability: LambdaObservability, env = process.env): WorkBatchDeps {
  const settings = readSettings(env, {
    require: ['TENANTS_TABLE', 'EVENTS_TABLE', 'QUEUE_URL', 'DLQ_URL', 'SECRET_PREFIX', 'PUBLIC_BASE_URL'],
  });
  const base = basePorts(observability, settings);
  const doc = createFunctionDocumentClient('worker');
  const forwardStores = createForwardStores(doc, settings);
  const secretsClient = createSecretsClient('worker');
  const stores = createStores(doc, settings, awsDataProtection('worker', settings));
  return {
    control: createSqsQueue('worker', settings.queueUrl, settings.deadLetterQueueUrl),
    worker: {
      ...base,
      ...stores,
      // Config and templates reused for TENANT_CACHE_SECONDS, the secret likewise; sms-delivery.ts reads both
      // afresh when the event's key came from another registration than the cached one.
      tenants: new CachedTenantStore(stores.tenants, settings.tenantCacheSeconds * 1000),
      secrets: new SecretsManagerSecretStore({
        client: secretsClient,
        prefix: settings.secretPrefix,
        cacheTtlMs: settings.tenantCacheSeconds * 1000,
      }),
      sms: createSmsSender(settings, base.logger, clientConfigFor('worker', 'smsVoice')),
      fineract: timedFineractClient(createFineractClient(settings), base),
      // Forwarding runs in the worker: one pipeline, one delivery state machine, one retry and dead state.
      forward: {
        targets: new CachedTargetStore(forwardStores.targets, settings.tenantCacheSeconds * 1000),
        targetSecrets: new SecretsManagerTargetSecretStore({ client: secretsClient, prefix: settings.secretPrefix }),
        deliveries: forwardStores.deliveries,
        webhooks: createHttpForwarder(settings),
        bus: createEventBus(clientConfigFor('worker', 'eventBridge')),
      },
    },
  };
}
