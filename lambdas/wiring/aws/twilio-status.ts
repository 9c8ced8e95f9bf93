import { createDocumentClient } from '../../adapters/dynamodb-client';
import { SecretsManagerSecretStore } from '../../adapters/secrets-manager-secret-store';
import { TwilioSignatureVerifier } from '../../adapters/twilio-signature-verifier';
import { readSettings } from '../../core/settings';
import type { StatusCallbackDeps } from '../../core/status-callback';
import { createStores } from '../stores';
import { basePorts, type LambdaObservability } from './lambda';

export function twilioStatusDeps(observability: LambdaObservability, env = process.env): StatusCallbackDeps {
  // Twilio signs the URL it called: without the public base URL no callback could be verified.
  const settings = readSettings(env, { require: ['EVENTS_TABLE', 'SECRET_PREFIX', 'PUBLIC_BASE_URL'] });
  return {
    ...basePorts(observability, settings),
    messages: createStores(createDocumentClient(), settings).messages,
    secrets: new SecretsManagerSecretStore({ prefix: settings.secretPrefix }),
    signatures: new TwilioSignatureVerifier(),
  };
}
