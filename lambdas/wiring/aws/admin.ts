import { createDocumentClient } from '../../adapters/dynamodb-client';
import { EventBridgeForwarder } from '../../adapters/eventbridge-forwarder';
import { SecretsManagerSecretStore } from '../../adapters/secrets-manager-secret-store';
import { SecretsManagerTargetSecretStore } from '../../adapters/secrets-manager-target-secrets';
import type { AdminDeps } from '../../core/admin';
import type { TenantApiDeps } from '../../core/tenant-api';
import { Authenticator } from '../../core/api-keys';
import { readSettings } from '../../core/settings';
import { createHttpForwarder } from '../outbound';
import { createForwardStores, createStores } from '../stores';
import { basePorts, createSqsQueue, type LambdaObservability } from './lambda';

export function adminDeps(observability: LambdaObservability, env = process.env): AdminDeps & TenantApiDeps {
  const settings = readSettings(env, {
    require: ['TENANTS_TABLE', 'EVENTS_TABLE', 'QUEUE_URL', 'SECRET_PREFIX'],
  });
  const base = basePorts(observability, settings);
  const doc = createDocumentClient();
  const stores = createStores(doc, settings);
  return {
    ...base,
    ...stores,
    // No key cache here: a DELETE must take effect at once for this function.
    auth: new Authenticator(stores.tenants, base.clock, 0),
    secrets: new SecretsManagerSecretStore({ prefix: settings.secretPrefix }),
    queue: createSqsQueue(settings.queueUrl),
    // The tenant API for forwarding: no cache on target secrets here, a rotation must be read back at once.
    ...createForwardStores(doc, settings),
    targetSecrets: new SecretsManagerTargetSecretStore({ prefix: settings.secretPrefix, cacheTtlMs: 0 }),
    webhooks: createHttpForwarder(settings),
    bus: new EventBridgeForwarder(),
  };
}
