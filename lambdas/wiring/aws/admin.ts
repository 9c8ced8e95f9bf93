import { SecretsManagerSecretStore } from '../../adapters/secrets-manager-secret-store';
import type { AdminDeps } from '../../core/admin';
import { Authenticator } from '../../core/api-keys';
import { readSettings } from '../../core/settings';
import { createStores } from '../stores';
import { createSecretsClient } from './secrets-client';
import { basePorts, createFunctionDocumentClient, createSqsQueue, type LambdaObservability } from './lambda';

export function adminDeps(observability: LambdaObservability, env = process.env): AdminDeps {
  const settings = readSettings(env, {
    require: ['TENANTS_TABLE', 'EVENTS_TABLE', 'QUEUE_URL', 'SECRET_PREFIX'],
  });
  const base = basePorts(observability, settings);
  const stores = createStores(createFunctionDocumentClient('admin'), settings);
  return {
    ...base,
    ...stores,
    // No key cache here: a DELETE must take effect at once for this function.
    auth: new Authenticator(stores.tenants, base.clock, 0),
    secrets: new SecretsManagerSecretStore({ client: createSecretsClient('admin'), prefix: settings.secretPrefix }),
    queue: createSqsQueue('admin', settings.queueUrl),
  };
}
