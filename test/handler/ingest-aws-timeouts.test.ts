/**
 * Ingest as deployed (the AWS composition root, real SDK clients) against a work queue that accepts connections
 * and never answers: the SDK budgets end the stalled SendMessage, so the answer follows the durable write instead
 * of the function timeout; and with the events table down too, the sender gets its 5xx to retry.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeClock } from '../helpers/fake-clock';
import { createLogger, createMetrics } from '../../lambdas/adapters/observability';
import { issueApiKey } from '../../lambdas/core/api-keys';
import { makeHandler as makeIngestHandler } from '../../lambdas/ingest/handler';
import { ingestDeps } from '../../lambdas/wiring/aws/ingest';
import { SDK_BUDGETS, worstCaseMs } from '../../lambdas/wiring/aws/sdk-budgets';
import { toApiGatewayEvent } from '../helpers/apigw-events';
import { startTestDynamo, type TestDynamo, type TestStores } from '../helpers/dynamo';
import { loadDelivery, withKey } from '../helpers/fixtures';

const observability = { logger: createLogger('test'), metrics: createMetrics() };
/** Ingest's Lambda timeout (lib/api.ts). */
const INGEST_TIMEOUT_MS = 10_000;

describe('ingest under the AWS wiring with a stalled queue', () => {
  let dynamo: TestDynamo;
  let stores: TestStores;
  let stalled: http.Server;
  let env: NodeJS.ProcessEnv;
  let key: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    dynamo = await startTestDynamo();
    // Reads every request and never answers it.
    stalled = http.createServer(() => {});
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    const { port } = stalled.address() as AddressInfo;
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${port}`,
    });
    stores = await dynamo.createStores('stalled-queue');
    env = {
      TENANTS_TABLE: stores.tables.tenantsTable,
      EVENTS_TABLE: stores.tables.eventsTable,
      QUEUE_URL: `http://127.0.0.1:${port}/000000000000/work`,
    };
    ({ key } = await issueApiKey(stores.tenants, new FakeClock(), 'default', { graceSeconds: 60, label: 'test' }));
  });

  afterAll(async () => {
    process.env = saved;
    stalled.closeAllConnections();
    await new Promise<void>((resolve) => stalled.close(() => resolve()));
    await dynamo.close();
  });

  it('answers 200 after the durable write; the sweeper has the event', async () => {
    // Prepare
    const handler = makeIngestHandler(() => ingestDeps(observability, env));
    const event = toApiGatewayEvent(withKey(loadDelivery('mifosx-sms-send-ugd'), key));

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(200);
    const { status, eventId } = JSON.parse(result.body as string) as { status: string; eventId: string };
    expect(status).toBe('accepted');
    expect((await stores.events.get('default', eventId))?.dueAt).toEqual(expect.any(String));
  }, 15_000);

  it('answers 5xx when the events table is missing and the queue stalls: neither place took it', async () => {
    // Prepare
    const handler = makeIngestHandler(() =>
      ingestDeps(observability, { ...env, EVENTS_TABLE: `${stores.tables.eventsTable}-missing` }),
    );
    const event = toApiGatewayEvent(withKey(loadDelivery('mifosx-sms-send-ugd'), key));

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(500);
  }, 15_000);

  it('fits three sequential calls, each at its worst, in ingest’s timeout', () => {
    // Prepare
    const { dynamodb, sqs } = SDK_BUDGETS.ingest;

    // Act
    const worst = worstCaseMs(dynamodb) * 2 + worstCaseMs(sqs);

    // Assess
    expect(worst).toBeLessThan(INGEST_TIMEOUT_MS);
  });
});
