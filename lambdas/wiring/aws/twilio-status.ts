import { SecretsManagerSecretStore } from '../../adapters/secrets-manager-secret-store';
import { TwilioSignatureVerifier } from '../../adapters/twilio-signature-verifier';
import { readSettings } from '../../core/settings';
import type { StatusCallbackDeps } from '../../core/status-callback';
import { createStores } from '../stores';
import { awsDataProtection } from './data-key';
import { createSecretsClient } from './secrets-client';
import { basePorts, createFunctionDocumentClient, type LambdaObservability } from './lambda';

export function twilioStatusDeps(observability: LambdaObservability, env = process.env): StatusCallbackDeps {
  // Twilio signs the URL it called: without the public base URL no callback could be verified.
  const settings = readSettings(env, { require: ['EVENTS_TABLE', 'SECRET_PREFIX', 'PUBLIC_BASE_URL'] });
  return {
    ...basePorts(observability, settings),
    messages: createStores(
      createFunctionDocumentClient('twilioStatus'),
      settings,
      awsDataProtection('twilioStatus', settings),
    ).messages,
    secrets: new SecretsManagerSecretStore({
      client: createSecretsClient('twilioStatus'),
      prefix: settings.secretPrefix,
    }),
    signatures: new TwilioSignatureVerifier(),
  };
}
