import { Authenticator, issueApiKey } from '../../lambdas/core/api-keys';
import { dispatchHttp } from '../../lambdas/core/dispatch';
import type { HttpRequest } from '../../lambdas/core/http';
import { handleHookEvent, handlePing, type IngestDeps } from '../../lambdas/core/ingest';
import { type Delivery, loadDelivery, withKey } from '../helpers/fixtures';
import { httpRequest, type MemoryWorld, memoryWorld } from '../helpers/memory-ports';

const SWEEP_GRACE_SECONDS = 300;

function setup() {
  const world = memoryWorld();
  const deps: IngestDeps = {
    auth: new Authenticator(world.tenants, world.clock, 0),
    events: world.events,
    queue: world.queue,
    clock: world.clock,
    logger: world.logger,
    metrics: world.metrics,
    settings: { maxBodyBytes: 1024 * 1024, sweepGraceSeconds: SWEEP_GRACE_SECONDS },
  };
  const http = (request: HttpRequest) =>
    dispatchHttp(request, { ingest: (r) => handleHookEvent(r, deps), ping: () => handlePing() }, world.logger);
  return { world, deps, http };
}

async function keyFor(world: MemoryWorld, tenantId = 'default'): Promise<string> {
  const issued = await issueApiKey(world.tenants, world.clock, tenantId, { graceSeconds: 86400, label: 'test' });
  return issued.key;
}

function deliver(
  delivery: Delivery,
  overrides: { body?: string; path?: string; params?: Record<string, string> } = {},
) {
  return httpRequest({
    method: delivery.method,
    path: overrides.path ?? delivery.path,
    headers: delivery.headers,
    body: overrides.body ?? delivery.body,
    params: overrides.params,
  });
}

describe('handleHookEvent', () => {
  it('stores an accepted event as received with a due time, enqueues it once and answers 200', async () => {
    // Prepare
    const { world, http } = setup();
    const key = await keyFor(world);
    const delivery = withKey(loadDelivery('mifosx-sms-client-create'), key);

    // Act
    const response = await http(deliver(delivery));

    // Assess
    expect(response.statusCode).toBe(200);
    const answer = JSON.parse(response.body) as { status: string; eventId: string };
    expect(answer.status).toBe('accepted');
    const stored = world.events.all();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      tenantId: 'default',
      eventId: answer.eventId,
      entity: 'CLIENT',
      action: 'CREATE',
      status: 'received',
      attempts: 0,
      receivedAt: world.clock.iso(),
      dueAt: new Date(world.clock.now().getTime() + SWEEP_GRACE_SECONDS * 1000).toISOString(),
      rawBody: delivery.body,
      ids: { clientId: 42, officeId: 1, resourceId: 42 },
    });
    expect(world.queue.enqueued).toEqual([
      { message: { tenantId: 'default', eventId: answer.eventId }, delaySeconds: undefined },
    ]);
    expect(world.metrics.get('EventAccepted')).toBe(1);
  });

  it('acknowledges the same body twice as a duplicate: stored once, enqueued once', async () => {
    // Prepare
    const { world, http } = setup();
    const key = await keyFor(world);
    const delivery = withKey(loadDelivery('mifosx-sms-loan-repayment'), key);
    const first = await http(deliver(delivery));

    // Act
    world.clock.advanceSeconds(2);
    const second = await http(deliver(delivery));

    // Assess
    expect(second.statusCode).toBe(200);
    expect(JSON.parse(second.body)).toEqual({ status: 'duplicate', eventId: JSON.parse(first.body).eventId });
    expect(world.events.all()).toHaveLength(1);
    expect(world.queue.enqueued).toHaveLength(1);
    expect(world.metrics.get('EventDuplicate')).toBe(1);
  });

  it('deduplicates on commandId even when the bodies differ', async () => {
    // Prepare
    const { world, http } = setup();
    const key = await keyFor(world);
    const delivery = withKey(loadDelivery('mifosx-sms-client-create'), key);
    await http(deliver(delivery, { body: '{"commandId":99,"clientId":42,"resourceId":42}' }));

    // Act
    const second = await http(
      deliver(delivery, { body: '{"commandId":99,"clientId":42,"resourceId":42,"officeId":1}' }),
    );

    // Assess
    expect(JSON.parse(second.body).status).toBe('duplicate');
    expect(world.events.all()).toHaveLength(1);
    expect(world.queue.enqueued).toHaveLength(1);
  });

  it('keeps two different bodies without commandId as two events', async () => {
    // Prepare
    const { world, http } = setup();
    const key = await keyFor(world);
    const delivery = withKey(loadDelivery('mifosx-sms-client-create'), key);
    await http(deliver(delivery, { body: '{"clientId":42,"resourceId":42}' }));

    // Act
    const second = await http(deliver(delivery, { body: '{"clientId":43,"resourceId":43}' }));

    // Assess
    expect(JSON.parse(second.body).status).toBe('accepted');
    expect(world.events.all()).toHaveLength(2);
    expect(world.queue.enqueued).toHaveLength(2);
  });

  it('still answers 200 accepted when the enqueue fails: the event is stored with a due time and a warning logged', async () => {
    // Prepare
    const { world, http } = setup();
    const key = await keyFor(world);
    world.queue.failNext(1, new Error('SQS is down'));

    // Act
    const response = await http(deliver(withKey(loadDelivery('mifosx-sms-client-create'), key)));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).status).toBe('accepted');
    const [stored] = world.events.all();
    expect(stored?.status).toBe('received');
    expect(stored?.dueAt).toBeDefined();
    expect(world.queue.enqueued).toHaveLength(0);
    const warnings = world.logger.at('warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/sweeper/);
    expect(JSON.stringify(warnings[0]?.extra)).toContain('SQS is down');
  });

  it('lets a store failure propagate when the queue refuses too; the HTTP layer answers a generic 500', async () => {
    // Prepare
    const { world, http } = setup();
    const key = await keyFor(world);
    world.queue.failAlways(new Error('SQS is down'));
    const internal =
      'ProvisionedThroughputExceededException on table hook-events-prod in arn:aws:dynamodb:eu-west-1:123456789012';
    jest.spyOn(world.events, 'putIfAbsent').mockRejectedValueOnce(new Error(internal));

    // Act
    const response = await http(deliver(withKey(loadDelivery('mifosx-sms-client-create'), key)));

    // Assess
    expect(response.statusCode).toBe(500);
    const body = JSON.parse(response.body) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('internal_error');
    expect(body.error.message).toMatch(/could not take this event/);
    expect(response.body).not.toMatch(/Provisioned|hook-events|arn:|123456789012/);
    expect(world.queue.enqueued).toHaveLength(0);
    expect(world.logger.at('error')).toHaveLength(1);
  });

  it('answers 5xx when the store fails and the event is too big for a queue message (1 MiB)', async () => {
    // Prepare
    const { world, http } = setup();
    const key = await keyFor(world);
    jest.spyOn(world.events, 'putIfAbsent').mockRejectedValueOnce(new Error('throttled'));
    const delivery = withKey(loadDelivery('mifosx-sms-send-ugd'), key);
    const big = JSON.stringify({ mobileNo: '254712345678', message: 'x'.repeat(1024 * 1024 - 60) });

    // Act
    const response = await http(deliver({ ...delivery, body: big }));

    // Assess
    expect(response.statusCode).toBe(500);
    expect(world.queue.enqueued).toHaveLength(0);
  });

  it('answers 401 for a wrong key, a missing key and a key of another tenant, storing nothing', async () => {
    // Prepare
    const { world, http } = setup();
    await keyFor(world, 'default');
    const otherTenantsKey = await keyFor(world, 'other');
    const base = loadDelivery('mifosx-sms-client-create');
    const missing: Delivery = {
      ...base,
      headers: Object.fromEntries(Object.entries(base.headers).filter(([h]) => !/api-key/i.test(h))),
    };

    // Act
    const responses = [
      await http(deliver(withKey(base, 'fhk_not-a-key'))),
      await http(deliver(missing)),
      await http(deliver(withKey(base, otherTenantsKey))),
    ];

    // Assess
    expect(responses.map((r) => r.statusCode)).toEqual([401, 401, 401]);
    expect(JSON.parse(responses[0]!.body).error.code).toBe('unauthorized');
    expect(world.events.all()).toHaveLength(0);
    expect(world.queue.enqueued).toHaveLength(0);
  });

  it('takes a Web hook key from the /hooks/{apiKey}/ path and stores the event as template web', async () => {
    // Prepare
    const { world, http } = setup();
    const key = await keyFor(world);
    const delivery = loadDelivery('mifosx-web-json-loan-disburse');

    // Act
    const response = await http(deliver(delivery, { path: `/hooks/${key}/` }));

    // Assess
    expect(response.statusCode).toBe(200);
    const [stored] = world.events.all();
    expect(stored).toMatchObject({
      template: 'web',
      entity: 'LOAN',
      action: 'DISBURSE',
      senderEndpoint: expect.any(String),
    });
  });

  it('refuses a Web hook whose path key is wrong', async () => {
    // Prepare
    const { world, http } = setup();
    await keyFor(world);

    // Act
    const response = await http(deliver(loadDelivery('mifosx-web-json-loan-disburse'), { path: '/hooks/fhk_wrong/' }));

    // Assess
    expect(response.statusCode).toBe(401);
    expect(world.events.all()).toHaveLength(0);
  });

  it('stores an event carrying the API-key header as template sms-bridge', async () => {
    // Prepare
    const { world, deps } = setup();
    const key = await keyFor(world);
    const delivery = withKey(loadDelivery('fineract-sms-client-create-envelope'), key);

    // Act
    await handleHookEvent(deliver(delivery), deps);

    // Assess
    const [stored] = world.events.all();
    expect(stored).toMatchObject({ template: 'sms-bridge', source: 'fineract', shape: 'envelope' });
  });

  it('answers the hook-creation ping with 200', async () => {
    // Prepare
    const { http } = setup();
    const ping = loadDelivery('ping-at-hook-creation');

    // Act
    const response = await http(deliver(ping));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).status).toBe('ok');
  });
});

describe('handleHookEvent: the body-hash dedup window', () => {
  async function sendTwice(firstAt: string, secondAt: string) {
    const { world, http } = setup();
    const key = await keyFor(world);
    const delivery = withKey(loadDelivery('mifosx-sms-send-ugd'), key);
    world.clock.set(firstAt);
    const first = JSON.parse((await http(deliver(delivery))).body) as { status: string; eventId: string };
    world.clock.set(secondAt);
    const second = JSON.parse((await http(deliver(delivery))).body) as { status: string; eventId: string };
    return { world, first, second };
  }

  it('sends an identical sms/send a day later as a new event', async () => {
    // Prepare
    const firstAt = '2026-03-02T09:00:00.000Z';

    // Act
    const { world, first, second } = await sendTwice(firstAt, '2026-03-03T09:00:00.000Z');

    // Assess
    expect(first.status).toBe('accepted');
    expect(second.status).toBe('accepted');
    expect(second.eventId).not.toBe(first.eventId);
    expect(world.events.all()).toHaveLength(2);
  });

  it('answers a redelivery seconds later, across a window boundary, as the duplicate it is', async () => {
    // Prepare: 10-minute windows start on the epoch's multiples of 600 s; 09:59:58 and 10:00:03 straddle one.
    const firstAt = '2026-03-02T09:59:58.000Z';

    // Act
    const { world, first, second } = await sendTwice(firstAt, '2026-03-02T10:00:03.000Z');

    // Assess
    expect(second).toEqual({ status: 'duplicate', eventId: first.eventId });
    expect(world.events.all()).toHaveLength(1);
  });

  it.each([
    ['seconds into its window: strongly consistent', '2026-03-02T10:00:03.000Z', true],
    ['later in its window: eventually consistent (half the read units)', '2026-03-02T10:03:00.000Z', false],
  ])('reads the previous window’s event %s', async (_label, at, consistent) => {
    // Prepare
    const { world, http } = setup();
    const key = await keyFor(world);
    const delivery = withKey(loadDelivery('mifosx-sms-send-ugd'), key);
    const reads: (boolean | undefined)[] = [];
    const get = world.events.get.bind(world.events);
    world.events.get = (tenantId: string, eventId: string, options?: { consistent?: boolean }) => {
      reads.push(options?.consistent);
      return get(tenantId, eventId, options);
    };
    world.clock.set(at);

    // Act
    await http(deliver(delivery));

    // Assess
    expect(reads).toEqual([consistent]);
  });

  it('keeps commandId keys as they were: the same command a day later is still a duplicate', async () => {
    // Prepare
    const { world, http } = setup();
    const key = await keyFor(world);
    const envelope = withKey(loadDelivery('fineract-sms-client-create-envelope'), key);
    const body = JSON.stringify({ ...(JSON.parse(envelope.body) as object), commandId: 4711 });
    const delivery = { ...envelope, body };
    world.clock.set('2026-03-02T09:00:00.000Z');
    const first = JSON.parse((await http(deliver(delivery))).body) as { eventId: string };
    world.clock.set('2026-03-03T09:00:00.000Z');

    // Act
    const second = JSON.parse((await http(deliver(delivery))).body) as { status: string; eventId: string };

    // Assess
    expect(second).toEqual({ status: 'duplicate', eventId: first.eventId });
  });
});
