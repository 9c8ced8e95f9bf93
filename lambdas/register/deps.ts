import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import { createDocumentClient } from '../adapters/dynamodb-client';
import { DynamoDbTenantStore } from '../adapters/dynamodb-tenant-store';
import { loggerPort, metricsPort } from '../adapters/observability';
import { SecretsManagerSecretStore } from '../adapters/secrets-manager-secret-store';
import { TwilioSmsSender } from '../adapters/twilio-sms-sender';
import { DnsUrlPolicy } from '../adapters/dns-url-policy';
import { systemClock } from '../core/clock';
import type { RegisterDeps } from '../core/registration';
import { readSettings } from '../core/settings';

export function createRegisterDeps(logger: Logger, metrics: PowertoolsMetrics): RegisterDeps {
  const settings = readSettings();
  return {
    tenants: new DynamoDbTenantStore(createDocumentClient(), settings.tenantsTable),
    secrets: new SecretsManagerSecretStore({ prefix: settings.secretPrefix, cacheTtlMs: 0 }),
    sms: new TwilioSmsSender({ apiBaseUrl: settings.twilioApiBaseUrl, timeoutMs: settings.twilioTimeoutMs }),
    urlPolicy: new DnsUrlPolicy({ allowPrivate: settings.allowPrivateEndpoints }),
    clock: systemClock,
    logger: loggerPort(logger),
    metrics: metricsPort(metrics),
    settings,
  };
}
