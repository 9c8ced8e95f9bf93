import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import { createDocumentClient } from '../adapters/dynamodb-client';
import { DynamoDbMessageStore } from '../adapters/dynamodb-message-store';
import { loggerPort, metricsPort } from '../adapters/observability';
import { SecretsManagerSecretStore } from '../adapters/secrets-manager-secret-store';
import { TwilioSignatureVerifier } from '../adapters/twilio-signature-verifier';
import { systemClock } from '../core/clock';
import { readSettings } from '../core/settings';
import type { StatusCallbackDeps } from '../core/status-callback';

export function createStatusDeps(logger: Logger, metrics: PowertoolsMetrics): StatusCallbackDeps {
  const settings = readSettings();
  return {
    messages: new DynamoDbMessageStore(createDocumentClient(), settings.eventsTable),
    secrets: new SecretsManagerSecretStore({ prefix: settings.secretPrefix }),
    signatures: new TwilioSignatureVerifier(),
    clock: systemClock,
    logger: loggerPort(logger),
    metrics: metricsPort(metrics),
    settings,
  };
}
