import path from 'node:path';
import { noPhoneHashing } from '../../adapters/data-protection';
import { directoryConsoleAssets } from '../../adapters/console-assets';
import { SecretsManagerSecretStore } from '../../adapters/secrets-manager-secret-store';
import { SecretsManagerTargetSecretStore } from '../../adapters/secrets-manager-target-secrets';
import { Authenticator } from '../../core/api-keys';
import { readSettings } from '../../core/settings';
import type { AdminFunctionDeps } from '../../core/console-api';
import { createEventBus, createHttpForwarder } from '../outbound';
import { createConsoleSessionStore, createForwardStores, createStores } from '../stores';
import { basePorts, createFunctionDocumentClient, createSqsQueue, type LambdaObservability } from './lambda';
import { awsDataProtection } from './data-key';
import { clientConfigFor } from './sdk-budgets';
import { createSecretsClient } from './secrets-client';

export function adminDeps(observability: LambdaObservability, env = process.env): AdminFunctionDeps {
  const settings = readSettings(env, {
    require: ['TENANTS_TABLE', 'EVENTS_TABLE', 'QUEUE_URL', 'SECRET_PREFIX'],
  });
  const base = basePorts(observability, settings);
  const doc = createFunctionDocumentClient('admin');
  const protection = awsDataProtection('admin', settings);
  const stores = createStores(doc, settings, protection);
  const secretsClient = createSecretsClient('admin');
  return {
    ...base,
    ...stores,
    phones: protection ?? noPhoneHashing,
    // No key cache here: a DELETE must take effect at once for this function.
    auth: new Authenticator(stores.tenants, base.clock, 0),
    secrets: new SecretsManagerSecretStore({ client: secretsClient, prefix: settings.secretPrefix }),
    queue: createSqsQueue('admin', settings.queueUrl),
    // The tenant API for forwarding: no cache on target secrets here, a rotation must be read back at once.
    ...createForwardStores(doc, settings),
    targetSecrets: new SecretsManagerTargetSecretStore({
      client: secretsClient,
      prefix: settings.secretPrefix,
      cacheTtlMs: 0,
    }),
    webhooks: createHttpForwarder(settings),
    bus: createEventBus(clientConfigFor('admin', 'eventBridge')),
    sessions: createConsoleSessionStore(doc, settings),
    // The stack's bundling copies the built console next to this function's code (lib/hook-function.ts).
    consoleAssets: directoryConsoleAssets(env.CONSOLE_ASSETS_DIR ?? path.join(__dirname, 'console')),
  };
}
