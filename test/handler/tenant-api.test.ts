import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { hashApiKey } from '../../lambdas/core/api-keys';
import { apiEvent } from '../helpers/apigw-events';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo';
import { type Harness, startHarness } from './harness';

let dynamo: TestDynamo;
let h: Harness;
let tenant: string;
let key: string;
let counter = 0;
let receiver: http.Server;
let receiverUrl: string;
const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];

beforeAll(async () => {
  dynamo = await startTestDynamo();
  h = await startHarness(dynamo, { label: 'tenant-api' });
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await h.close();
  await dynamo.close();
});

beforeEach(async () => {
  // Receivers refuse signatures more than 5 minutes off their own clock.
  h.clock.set(new Date());
  tenant = `fwd-${++counter}`;
  key = await h.registerTenant(tenant);
  received.length = 0;
});

const call = (
  method: string,
  path: string,
  body = '',
  headers: Record<string, string> = { Authorization: `Bearer ${key}` },
) => h.admin(apiEvent(method, path, { 'Content-Type': 'application/json', ...headers }, body));

async function createTarget(body: Record<string, unknown>) {
  const result = await call('POST', `/tenants/${tenant}/targets`, JSON.stringify(body));
  return result;
}

test('POST targets answers 201 with the secret once; GET lists targets without any secret', async () => {
  // Act
  const created = await createTarget({ url: receiverUrl, events: ['LOAN.*'], includeFailed: true });
  const listed = await call('GET', `/tenants/${tenant}/targets`);

  // Assess
  expect(created.statusCode).toBe(201);
  const target = created.json as { targetId: string; secret: string };
  expect(target.secret).toMatch(/^whsec_/);
  expect(listed.statusCode).toBe(200);
  expect(listed.json).toEqual({
    targets: [expect.objectContaining({ targetId: target.targetId, url: receiverUrl, events: ['LOAN.*'] })],
  });
  expect(listed.text).not.toContain(target.secret);
  expect(received).toHaveLength(0);
});

test('test sends a signed webhook.test that the reference library verifies', async () => {
  // Prepare
  const { targetId, secret } = (await createTarget({ url: receiverUrl })).json as { targetId: string; secret: string };

  // Act
  const result = await call('POST', `/tenants/${tenant}/targets/${targetId}/test`);

  // Assess
  expect(result.json).toMatchObject({ delivered: true, statusCode: 204 });
  expect(received).toHaveLength(1);
  const payload = new Webhook(secret).verify(received[0]!.body, {
    'webhook-id': String(received[0]!.headers['webhook-id']),
    'webhook-timestamp': String(received[0]!.headers['webhook-timestamp']),
    'webhook-signature': String(received[0]!.headers['webhook-signature']),
  });
  expect(payload).toMatchObject({ type: 'webhook.test' });
});

test('rotate-secret answers the new secret; the next test is signed with both', async () => {
  // Prepare
  const { targetId, secret: old } = (await createTarget({ url: receiverUrl })).json as {
    targetId: string;
    secret: string;
  };

  // Act
  const rotated = await call('POST', `/tenants/${tenant}/targets/${targetId}/rotate-secret`);
  await call('POST', `/tenants/${tenant}/targets/${targetId}/test`);

  // Assess
  const { secret } = rotated.json as { secret: string };
  expect(secret).not.toBe(old);
  const headers = {
    'webhook-id': String(received[0]!.headers['webhook-id']),
    'webhook-timestamp': String(received[0]!.headers['webhook-timestamp']),
    'webhook-signature': String(received[0]!.headers['webhook-signature']),
  };
  expect(() => new Webhook(old).verify(received[0]!.body, headers)).not.toThrow();
  expect(() => new Webhook(secret).verify(received[0]!.body, headers)).not.toThrow();
});

test('DELETE answers 204 and the target is gone', async () => {
  // Prepare
  const { targetId } = (await createTarget({ url: receiverUrl })).json as { targetId: string };

  // Act
  const deleted = await call('DELETE', `/tenants/${tenant}/targets/${targetId}`);
  const listed = await call('GET', `/tenants/${tenant}/targets`);

  // Assess
  expect(deleted.statusCode).toBe(204);
  expect(listed.json).toEqual({ targets: [] });
});

test.each(['file:///etc/passwd', 'http://169.254.169.254/latest/meta-data', 'http://u:p@example.org/'])(
  'refuses a target URL %s without any request',
  async (url) => {
    // Act
    const result = await createTarget({ url });

    // Assess
    expect(result.statusCode).toBeGreaterThanOrEqual(400);
    expect(result.statusCode).toBeLessThan(500);
  },
);

test("another tenant's key is refused", async () => {
  // Prepare
  const other = await h.registerTenant(`${tenant}-other`);

  // Act
  const result = await call('GET', `/tenants/${tenant}/targets`, '', { 'X-Mifos-API-Key': other });

  // Assess
  expect(result.statusCode).toBe(401);
});

test('an ingest-only key is refused with 403', async () => {
  // Prepare
  const ingestKey = 'ingest-only-key-0123456789abcdef';
  await h.stores.tenants.putApiKey({
    tenantId: tenant,
    keyHash: hashApiKey(ingestKey),
    fingerprint: 'ingest',
    createdAt: h.clock.iso(),
    scope: 'ingest',
  });

  // Act
  const result = await call('GET', `/tenants/${tenant}/targets`, '', { 'X-Fineract-API-Key': ingestKey });

  // Assess
  expect(result.statusCode).toBe(403);
});

test('GET events/{id} answers the event with its deliveries, 404 for an unknown one', async () => {
  // Act
  const result = await call('GET', `/tenants/${tenant}/events/nope`);

  // Assess
  expect(result.statusCode).toBe(404);
});
