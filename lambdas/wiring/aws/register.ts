import { SecretsManagerSecretStore } from '../../adapters/secrets-manager-secret-store';
import type { RegisterDeps } from '../../core/registration';
import { readSettings } from '../../core/settings';
import { createSmsSender, createUrlPolicy } from '../outbound';
import { createStores } from '../stores';
import { createSecretsClient } from './secrets-client';
import { clientConfigFor } from './sdk-budgets';
import { basePorts, createFunctionDocumentClient, type LambdaObservability } from './lambda';

export function registerDeps(observability: LambdaObservability, env = process.env): RegisterDeps {
  const settings = readSettings(env, { require: ['TENANTS_TABLE', 'SECRET_PREFIX'] });
  const base = basePorts(observability, settings);
  return {
    ...base,
    tenants: createStores(createFunctionDocumentClient('register'), settings).tenants,
    // No cache: a registration compares with the secret stored a moment ago, maybe by another container.
    secrets: new SecretsManagerSecretStore({
      client: createSecretsClient('register'),
      prefix: settings.secretPrefix,
      cacheTtlMs: 0,
    }),
    sms: createSmsSender(settings, base.logger, clientConfigFor('register', 'smsVoice')),
    urlPolicy: createUrlPolicy(settings),
  };
}
