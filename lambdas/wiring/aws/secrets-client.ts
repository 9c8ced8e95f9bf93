import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientConfigFor, type FunctionName } from './sdk-budgets';

/** Secrets Manager with that function's timeouts and attempts; apart from lambda.ts so ingest never bundles it. */
export function createSecretsClient(fn: FunctionName): SecretsManagerClient {
  return new SecretsManagerClient(clientConfigFor(fn, 'secretsManager'));
}
