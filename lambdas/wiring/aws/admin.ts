import { createDocumentClient } from '../../adapters/dynamodb-client';
import { SecretsManagerSecretStore } from '../../adapters/secrets-manager-secret-store';
import type { AdminDeps } from '../../core/admin';
import { Authenticator } from '../../core/api-keys';
import { readSettings } from '../../core/settings';
import { createStores } from '../stores';
import { basePorts, createSqsQueue, type LambdaObservability } from './lambda';

export function adminDeps(observability: LambdaObservability, env = process.env): AdminDeps {
  const settings = readSettings(env, {
    require: ['TENANTS_TABLE', 'EVENTS_TABLE', 'QUEUE_URL', 'SECRET_PREFIX'],
  });
  const base = basePorts(observability, settings);
  const stores = createStores(createDocumentClient(), settings);
  return {
    ...base,
    ...stores,
    // No key cache here: a DELETE must take effect at once for this function.
    auth: new Authenticator(stores.tenants, base.clock, 0),
    secrets: new SecretsManagerSecretStore({ prefix: settings.secretPrefix }),
    queue: createSqsQueue(settings.queueUrl),
  };
}
