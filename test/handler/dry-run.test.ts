/**
 * `SMS_DRY_RUN` in AWS: the worker and registration deps built by the AWS composition root (real SDK clients on
 * the embedded DynamoDB and a loopback Secrets Manager) send nothing to Twilio and record the message as `dry-run`.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSEvent } from 'aws-lambda';
import { DRY_RUN_STATUS } from '../../lambdas/adapters/dry-run-sms-sender';
import { createLogger, createMetrics, noMetrics } from '../../lambdas/adapters/observability';
import { SecretsManagerSecretStore } from '../../lambdas/adapters/secrets-manager-secret-store';
import { Authenticator, issueApiKey } from '../../lambdas/core/api-keys';
import { handleHookEvent } from '../../lambdas/core/ingest';
import { makeHandler as makeWorkerHandler } from '../../lambdas/worker/handler';
import { registerDeps } from '../../lambdas/wiring/aws/register';
import { workerDeps } from '../../lambdas/wiring/aws/worker';
import { CapturingLogger } from '../helpers/capturing-logger';
import { startTestDynamo, type TestDynamo, type TestStores } from '../helpers/dynamo';
import { FakeClock } from '../helpers/fake-clock';
import { FakeSecretsManager } from '../helpers/fake-secrets-manager';
import { FakeTwilio } from '../helpers/fake-twilio';
import { loadDelivery, withKey } from '../helpers/fixtures';
import { MemoryQueue } from '../helpers/memory-queue';
import { httpRequest } from '../helpers/memory-ports';

const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const SECRET_PREFIX = 'dry-run-test/';
const observability = { logger: createLogger('test'), metrics: createMetrics() };

describe('SMS_DRY_RUN under the AWS wiring', () => {
  let dynamo: TestDynamo;
  let secretsManager: FakeSecretsManager;
  let twilio: FakeTwilio;
  let stores: TestStores;
  let env: NodeJS.ProcessEnv;
  const saved = { ...process.env };

  beforeAll(async () => {
    dynamo = await startTestDynamo();
    secretsManager = await FakeSecretsManager.start();
    twilio = new FakeTwilio();
    const { baseUrl } = await twilio.start();
    // The AWS deps build their SDK clients from the process environment, as in Lambda.
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
    });
    stores = await dynamo.createStores('dry-run');
    env = {
      TENANTS_TABLE: stores.tables.tenantsTable,
      EVENTS_TABLE: stores.tables.eventsTable,
      QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/work',
      DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/work-dlq',
      SECRET_PREFIX,
      PUBLIC_BASE_URL: 'https://hooks.example.org/',
      // Were the Twilio sender built, it would call this fake, which records every request.
      TWILIO_API_BASE_URL: baseUrl,
      SMS_DRY_RUN: 'true',
    };
  });

  afterAll(async () => {
    process.env = saved;
    await twilio.stop();
    await secretsManager.stop();
    await dynamo.close();
  });

  it('the worker records an sms/send as dry-run and makes no Twilio request', async () => {
    // Prepare
    const clock = new FakeClock();
    const at = clock.iso();
    await stores.tenants.putTenant({
      tenantId: 'default',
      smsProvider: 'twilio',
      phoneNo: '+15005550006',
      accountSid: ACCOUNT_SID,
      registeredAt: at,
      updatedAt: at,
      registrationId: 'reg-1',
    });
    const secrets = new SecretsManagerSecretStore({
      prefix: SECRET_PREFIX,
      client: new SecretsManagerClient({ endpoint: secretsManager.endpoint }),
    });
    await secrets.putTenantSecret('default', { smsProviderToken: 'token-1', registrationId: 'reg-1' });
    const { key } = await issueApiKey(stores.tenants, clock, 'default', { graceSeconds: 60, label: 'test' });
    const delivery = withKey(loadDelivery('mifosx-sms-send-ugd'), key);
    const queue = new MemoryQueue();
    const logger = new CapturingLogger();
    const accepted = await handleHookEvent(
      httpRequest({ method: delivery.method, path: delivery.path, headers: delivery.headers, body: delivery.body }),
      {
        auth: new Authenticator(stores.tenants, clock, 0),
        events: stores.events,
        queue,
        clock,
        logger,
        metrics: noMetrics,
        settings: { maxBodyBytes: 1024 * 1024, sweepGraceSeconds: 300 },
      },
    );
    const { eventId } = JSON.parse(accepted.body) as { eventId: string };
    const handler = makeWorkerHandler(() => workerDeps(observability, env));
    const record = { messageId: 'm-1', receiptHandle: 'r-1', body: JSON.stringify({ tenantId: 'default', eventId }) };

    // Act
    const result = await handler({ Records: [record] } as unknown as SQSEvent);

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    const messages = await stores.messages.listByEvent('default', eventId);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ status: 'sent', providerStatus: DRY_RUN_STATUS });
    expect((await stores.events.get('default', eventId))?.status).toBe('sent');
    expect(twilio.requests).toHaveLength(0);
  });

  it('registration checks the account SID without calling Twilio', async () => {
    // Prepare
    const deps = registerDeps(observability, env);

    // Act
    const good = deps.sms.verifyAccount({ accountSid: ACCOUNT_SID, authToken: 'token' });
    const bad = deps.sms.verifyAccount({ accountSid: 'ACnot-a-sid', authToken: 'token' });

    // Assess
    await expect(good).resolves.toBeUndefined();
    await expect(bad).rejects.toMatchObject({ credentialsInvalid: true });
    expect(twilio.requests).toHaveLength(0);
  });
});
