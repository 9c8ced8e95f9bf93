import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type dns from 'node:dns';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { Authenticator, issueApiKey } from '../../lambdas/core/api-keys';
import { newWebhookSecret, signPayload } from '../../lambdas/core/forward-message';
import { handleHookEvent, type IngestDeps } from '../../lambdas/core/ingest';
import type { ForwardTarget, WorkMessage } from '../../lambdas/core/model';
import { replayEvents } from '../../lambdas/core/replay';
import { processWorkMessage, type WorkerDeps } from '../../lambdas/core/worker';
import { HttpForwarder } from '../../lambdas/adapters/http-forwarder';
import { checkTargetUrl } from '../../lambdas/core/url-policy';
import { guardedLookup } from '../../lambdas/adapters/dns-url-policy';
import { loadDelivery, withKey } from '../helpers/fixtures';
import {
  httpRequest,
  MemoryEventBus,
  MemoryForwardDeliveryStore,
  MemoryTargetStore,
  memoryWorld,
  workerDepsOf,
} from '../helpers/memory-ports';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A real receiver on 127.0.0.1: answers from a per-path script, records every request. */
async function startReceiver() {
  const received: Received[] = [];
  const script = new Map<string, Array<{ status: number; headers?: Record<string, string> }>>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      const next = script.get(req.url ?? '')?.shift() ?? { status: 200 };
      res.writeHead(next.status, next.headers ?? {});
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    received,
    script,
    at: (path: string) => received.filter((r) => r.path === path),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>;
let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
});

/** The reference implementation verifies: throws on a bad signature. */
function verify(secret: string, request: Received): unknown {
  const headers = {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  };
  return new Webhook(secret).verify(request.body.toString('utf8'), headers);
}

/** For a non-JSON body: the package checks the signature first and only then parses the payload as JSON. */
function verifiedSignature(secret: string, request: Received): boolean {
  try {
    verify(secret, request);
    return true;
  } catch (error) {
    return !(error instanceof WebhookVerificationError);
  }
}

async function setup(options: { schedule?: number[]; registered?: boolean } = {}) {
  const world = memoryWorld(new Date().toISOString());
  const targets = new MemoryTargetStore();
  const deliveries = new MemoryForwardDeliveryStore();
  const bus = new MemoryEventBus();
  const deps: WorkerDeps = {
    ...workerDepsOf(world, { retryScheduleSeconds: options.schedule ?? [10, 60, 300] }),
    forward: {
      targets,
      targetSecrets: targets,
      deliveries,
      webhooks: new HttpForwarder({ allowPrivate: true, timeoutMs: 2000 }),
      bus,
    },
  };
  const ingestDeps: IngestDeps = {
    auth: new Authenticator(world.tenants, world.clock, 0),
    events: world.events,
    queue: world.queue,
    clock: world.clock,
    logger: world.logger,
    metrics: world.metrics,
    settings: { maxBodyBytes: 1024 * 1024, sweepGraceSeconds: 300 },
  };
  const { key } = await issueApiKey(world.tenants, world.clock, 'default', { graceSeconds: 86400, label: 'test' });
  if (options.registered) {
    const at = world.clock.iso();
    await world.tenants.putTenant({
      tenantId: 'default',
      smsProvider: 'twilio',
      phoneNo: '+15005550006',
      accountSid: 'AC0123456789abcdef0123456789abcdef',
      endpoint: 'https://mifos.example.org/api/v1/',
      apiBase: 'https://mifos.example.org/api/v1/',
      registeredAt: at,
      updatedAt: at,
      registrationId: 'reg-1',
    });
    await world.secrets.putTenantSecret('default', { smsProviderToken: 'token-1', registrationId: 'reg-1' });
  }

  let counter = 0;
  async function addTarget(overrides: Partial<ForwardTarget> = {}): Promise<{ target: ForwardTarget; secret: string }> {
    counter++;
    const target: ForwardTarget = {
      tenantId: 'default',
      targetId: `t${counter}`,
      kind: 'https',
      url: `${receiver.base}/t${counter}-${Math.random().toString(36).slice(2)}`,
      events: [],
      includeFailed: false,
      format: 'envelope',
      status: 'enabled',
      createdAt: world.clock.iso(),
      updatedAt: world.clock.iso(),
      ...overrides,
    };
    const secret = newWebhookSecret();
    await targets.putTarget(target);
    await targets.putTargetSecrets('default', target.targetId, { secret });
    return { target, secret };
  }

  /** Ingests a fixture: SMS Bridge ones with our key in the header, Web ones with the key in the path. */
  async function ingest(name: string, as: 'fixture' | 'web' = 'fixture'): Promise<WorkMessage> {
    const delivery = withKey(loadDelivery(name), key);
    const headers = { ...delivery.headers };
    if (as === 'web') for (const h of Object.keys(headers)) if (/api-key$/i.test(h)) delete headers[h];
    world.clock.advanceMs(1);
    const response = await handleHookEvent(
      httpRequest({
        method: delivery.method,
        path: delivery.path,
        headers,
        body: delivery.body,
        params: { apiKey: key },
      }),
      ingestDeps,
    );
    world.queue.drain();
    return { tenantId: 'default', eventId: (JSON.parse(response.body) as { eventId: string }).eventId };
  }
  const work = (message: WorkMessage) => processWorkMessage(message, deps);
  const event = async (message: WorkMessage) => (await world.events.get(message.tenantId, message.eventId))!;
  return { world, deps, targets, deliveries, bus, key, addTarget, ingest, work, event };
}

const pathOf = (target: ForwardTarget) => new URL(target.url ?? '').pathname;

describe('forwarding: fan-out, filters, bodies, signatures', () => {
  it('delivers a Web hook event to every matching target, signed, in the envelope', async () => {
    // Prepare
    const { addTarget, ingest, work, event } = await setup();
    const all = await addTarget();
    const loans = await addTarget({ events: ['LOAN.*'] });
    const repayments = await addTarget({ events: ['loan.repayment'] });
    const creates = await addTarget({ events: ['*.CREATE'] });
    const message = await ingest('fineract-web-json-loan-repayment-envelope', 'web');

    // Act
    const outcome = await work(message);

    // Assess
    expect(outcome).toEqual({ action: 'ack', status: 'forwarded' });
    for (const { target, secret } of [all, loans, repayments]) {
      const [request] = receiver.at(pathOf(target));
      expect(request).toBeDefined();
      const payload = verify(secret, request!) as { type: string; data: Record<string, unknown> };
      expect(payload.type).toBe('loan.repayment');
      expect(payload.data).toMatchObject({ tenantId: 'default', entity: 'LOAN', action: 'REPAYMENT', failed: false });
      expect(payload.data.eventId).toBe(message.eventId);
      expect(request!.headers['content-type']).toBe('application/json');
      expect(request!.headers['x-fineract-entity']).toBe('LOAN');
    }
    expect(receiver.at(pathOf(creates.target))).toHaveLength(0);
    expect((await event(message)).status).toBe('forwarded');
  });

  it('puts a form body in the envelope as an object of strings', async () => {
    // Prepare
    const { addTarget, ingest, work } = await setup();
    const { target, secret } = await addTarget();
    const message = await ingest('mifosx-web-form-loan-repayment', 'web');

    // Act
    await work(message);

    // Assess
    const [request] = receiver.at(pathOf(target));
    const payload = verify(secret, request!) as { data: { body: Record<string, unknown>; source: string } };
    expect(payload.data.source).toBe('mifosx');
    expect(payload.data.body).toMatchObject({ loanId: '7.0', clientId: '42.0', resourceId: '118.0' });
    expect(request!.headers['x-mifos-action']).toBe('REPAYMENT');
  });

  it('sends the original body byte for byte with its content type', async () => {
    // Prepare
    const { addTarget, ingest, work } = await setup();
    const { target, secret } = await addTarget({ format: 'original' });
    const message = await ingest('mifosx-web-form-loan-repayment', 'web');

    // Act
    await work(message);

    // Assess
    const [request] = receiver.at(pathOf(target));
    expect(request!.body.toString('utf8')).toBe(loadDelivery('mifosx-web-form-loan-repayment').body);
    expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded; charset=UTF-8');
    expect(verifiedSignature(secret, request!)).toBe(true);
  });

  it('sends failed commands only to targets that include them', async () => {
    // Prepare
    const { addTarget, ingest, work } = await setup();
    const plain = await addTarget();
    const wantsFailed = await addTarget({ includeFailed: true });
    const message = await ingest('fineract-web-json-loan-repayment-failed', 'web');

    // Act
    await work(message);

    // Assess
    expect(receiver.at(pathOf(plain.target))).toHaveLength(0);
    const [request] = receiver.at(pathOf(wantsFailed.target));
    expect((verify(wantsFailed.secret, request!) as { data: { failed: boolean } }).data.failed).toBe(true);
  });

  it('signs with both secrets during a rotation overlap', async () => {
    // Prepare
    const { world, addTarget, targets, ingest, work } = await setup();
    const { target, secret: old } = await addTarget();
    const fresh = newWebhookSecret();
    const until = new Date(world.clock.now().getTime() + 86_400_000).toISOString();
    await targets.putTargetSecrets('default', target.targetId, {
      secret: fresh,
      previousSecret: old,
      previousUntil: until,
    });
    const message = await ingest('fineract-web-json-loan-repayment-envelope', 'web');

    // Act
    await work(message);

    // Assess
    const [request] = receiver.at(pathOf(target));
    expect(String(request!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(() => verify(old, request!)).not.toThrow();
    expect(() => verify(fresh, request!)).not.toThrow();
  });

  it('signs exactly as the reference implementation does (known answer)', () => {
    // Prepare
    const secret = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;
    const at = new Date(1_700_000_000_000);

    // Act
    const ours = signPayload(secret, 'msg_1', 1_700_000_000, Buffer.from('{"a":1}'));

    // Assess
    expect(ours).toBe(new Webhook(secret).sign('msg_1', at, '{"a":1}'));
  });

  it('sends nothing to a deleted target', async () => {
    // Prepare
    const { addTarget, targets, ingest, work, event } = await setup();
    const { target } = await addTarget();
    await targets.deleteTarget('default', target.targetId);
    const message = await ingest('fineract-web-json-loan-repayment-envelope', 'web');

    // Act
    await work(message);

    // Assess
    expect(receiver.at(pathOf(target))).toHaveLength(0);
    expect((await event(message)).status).toBe('ignored');
  });
});

describe('forwarding: retries and final answers', () => {
  it('retries 500 then 503 and delivers on 200: three attempts, one webhook-id', async () => {
    // Prepare
    const { world, addTarget, deliveries, ingest, work, event } = await setup({ schedule: [1, 1, 1] });
    const { target, secret } = await addTarget();
    receiver.script.set(pathOf(target), [{ status: 500 }, { status: 503 }, { status: 200 }]);
    const message = await ingest('fineract-web-json-loan-repayment-envelope', 'web');

    // Act
    const first = await work(message);
    world.clock.advanceSeconds(2);
    const second = await work(message);
    world.clock.advanceSeconds(2);
    const third = await work(message);

    // Assess
    expect(first.action).toBe('retry');
    expect(second.action).toBe('retry');
    expect(third).toEqual({ action: 'ack', status: 'forwarded' });
    const requests = receiver.at(pathOf(target));
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
    for (const request of requests) expect(() => verify(secret, request)).not.toThrow();
    const [record] = deliveries.all().filter((d) => d.targetId === target.targetId);
    expect(record).toMatchObject({ status: 'sent', attempts: 3, lastStatusCode: 200 });
    expect((await event(message)).status).toBe('forwarded');
  });

  it('disables a target that answers 410, and fails the delivery', async () => {
    // Prepare
    const { addTarget, targets, ingest, work } = await setup();
    const { target } = await addTarget();
    receiver.script.set(pathOf(target), [{ status: 410 }]);
    const message = await ingest('fineract-web-json-loan-repayment-envelope', 'web');

    // Act
    const outcome = await work(message);

    // Assess
    expect(outcome).toEqual({ action: 'ack', status: 'failed' });
    expect(await targets.getTarget('default', target.targetId)).toMatchObject({ status: 'disabled' });
  });

  it('does not follow a redirect: the delivery fails', async () => {
    // Prepare
    const { addTarget, deliveries, ingest, work } = await setup();
    const { target } = await addTarget();
    receiver.script.set(pathOf(target), [{ status: 302, headers: { location: `${receiver.base}/elsewhere` } }]);
    const message = await ingest('fineract-web-json-loan-repayment-envelope', 'web');

    // Act
    await work(message);

    // Assess
    expect(receiver.at('/elsewhere')).toHaveLength(0);
    expect(deliveries.all().find((d) => d.targetId === target.targetId)).toMatchObject({
      status: 'failed',
      lastStatusCode: 302,
    });
  });

  it('retries only the failed target: a delivered sibling is not called again', async () => {
    // Prepare
    const { world, addTarget, ingest, work } = await setup({ schedule: [1] });
    const good = await addTarget();
    const flaky = await addTarget();
    receiver.script.set(pathOf(flaky.target), [{ status: 503 }, { status: 200 }]);
    const message = await ingest('fineract-web-json-loan-repayment-envelope', 'web');

    // Act
    await work(message);
    world.clock.advanceSeconds(2);
    const outcome = await work(message);

    // Assess
    expect(outcome).toEqual({ action: 'ack', status: 'forwarded' });
    expect(receiver.at(pathOf(good.target))).toHaveLength(1);
    expect(receiver.at(pathOf(flaky.target))).toHaveLength(2);
  });

  it('a resend re-opens a failed forward and delivers it once', async () => {
    // Prepare
    const { world, addTarget, deliveries, ingest, work, event } = await setup();
    const { target } = await addTarget();
    receiver.script.set(pathOf(target), [{ status: 400 }, { status: 200 }]);
    const message = await ingest('fineract-web-json-loan-repayment-envelope', 'web');
    await work(message);
    expect((await event(message)).status).toBe('failed');

    // Act
    await replayEvents('default', {}, { ...world, deliveries, settings: { sweepGraceSeconds: 300 } });
    const outcome = await work(message);

    // Assess
    expect(outcome).toEqual({ action: 'ack', status: 'forwarded' });
    expect(receiver.at(pathOf(target))).toHaveLength(2);
  });

  it('never writes a target secret into a log line', async () => {
    // Prepare
    const { world, addTarget, ingest, work } = await setup();
    const { target, secret } = await addTarget();
    receiver.script.set(pathOf(target), [{ status: 500 }]);
    const message = await ingest('fineract-web-json-loan-repayment-envelope', 'web');

    // Act
    await work(message);

    // Assess
    const secretBody = secret.slice('whsec_'.length);
    expect(world.logger.text()).not.toContain(secretBody);
  });
});

describe('forwarding: one event per command, whichever hook delivered it', () => {
  it('Web then SMS Bridge: one SMS and one forward per target', async () => {
    // Prepare
    const { world, addTarget, ingest, work, event } = await setup({ registered: true });
    const { target } = await addTarget();
    const web = await ingest('fineract-sms-client-create-envelope', 'web');
    await work(web);
    expect((await event(web)).status).toBe('forwarded');

    // Act
    const sms = await ingest('fineract-sms-client-create-envelope');
    const outcome = await work(sms);

    // Assess
    expect(sms.eventId).toBe(web.eventId);
    expect(outcome).toEqual({ action: 'ack', status: 'sent' });
    expect(world.sms.messages).toHaveLength(1);
    expect(receiver.at(pathOf(target))).toHaveLength(1);
  });

  it('SMS Bridge arriving while the Web event is being forwarded: still one SMS and one forward', async () => {
    // Prepare
    const { world, deps, addTarget, ingest, work } = await setup({ registered: true });
    const { target } = await addTarget();
    const web = await ingest('fineract-sms-client-create-envelope', 'web');
    const real = deps.forward!.webhooks;
    let arrived = false;
    deps.forward!.webhooks = {
      post: async (webhook) => {
        if (!arrived) {
          arrived = true;
          await ingest('fineract-sms-client-create-envelope');
        }
        return real.post(webhook);
      },
    };

    // Act
    const first = await work(web);
    const second = await work(web);

    // Assess
    expect(first.action).toBe('retry');
    expect(second).toEqual({ action: 'ack', status: 'sent' });
    expect(world.sms.messages).toHaveLength(1);
    expect(receiver.at(pathOf(target))).toHaveLength(1);
  });

  it('SMS Bridge then Web: one SMS and one forward per target', async () => {
    // Prepare
    const { world, addTarget, ingest, work } = await setup({ registered: true });
    const { target } = await addTarget();
    const sms = await ingest('fineract-sms-client-create-envelope');
    await work(sms);

    // Act
    const web = await ingest('fineract-sms-client-create-envelope', 'web');
    const outcome = await work(web);

    // Assess
    expect(outcome).toEqual({ action: 'ack', status: 'sent' });
    expect(world.sms.messages).toHaveLength(1);
    expect(receiver.at(pathOf(target))).toHaveLength(1);
  });
});

describe('forwarding: EventBridge targets', () => {
  it('puts the envelope on the bus, and retries a failed entry', async () => {
    // Prepare
    const { world, addTarget, bus, ingest, work } = await setup({ schedule: [1] });
    const arn = 'arn:aws:events:eu-west-1:123456789012:event-bus/mifos';
    await addTarget({ kind: 'eventbridge', url: undefined, eventBusArn: arn });
    bus.failNext = 1;
    const message = await ingest('fineract-web-json-loan-repayment-envelope', 'web');

    // Act
    const first = await work(message);
    world.clock.advanceSeconds(2);
    const second = await work(message);

    // Assess
    expect(first.action).toBe('retry');
    expect(second).toEqual({ action: 'ack', status: 'forwarded' });
    expect(bus.entries).toHaveLength(1);
    expect(bus.entries[0]).toMatchObject({
      eventBusArn: arn,
      source: 'fineract.default',
      detailType: 'LOAN.REPAYMENT',
    });
    expect(JSON.parse(bus.entries[0]!.detail)).toMatchObject({ type: 'loan.repayment' });
  });
});

describe('forwarding: SSRF guard', () => {
  it.each([
    'http://127.0.0.1/x',
    'http://[::1]/x',
    'http://0x7f.1/x',
    'http://2130706433/x',
    'http://[::ffff:127.0.0.1]/x',
    'http://0.0.0.0/x',
    'http://169.254.169.254/latest',
    'file:///etc/passwd',
    'http://user:pw@example.org/x',
  ])('refuses %s', (url) => {
    expect(() => checkTargetUrl(url, false)).toThrow();
  });

  it('refuses link-local even when private endpoints are allowed', () => {
    expect(() => checkTargetUrl('http://169.254.169.254/', true)).toThrow();
  });

  it('refuses a name that resolves to a link-local address, at connection time', async () => {
    // Prepare
    const fakeLookup = ((_host: string, _options: unknown, callback: (e: null, a: dns.LookupAddress[]) => void) =>
      callback(null, [{ address: '169.254.169.254', family: 4 }])) as unknown as typeof dns.lookup;
    const forwarder = new HttpForwarder({ allowPrivate: true, lookup: guardedLookup(true, fakeLookup) });

    // Act
    const attempt = forwarder.post({ url: 'http://metadata.example.test/', headers: {}, body: Buffer.from('{}') });

    // Assess
    await expect(attempt).rejects.toMatchObject({ retryable: false, code: 'url_not_allowed' });
  });
});
