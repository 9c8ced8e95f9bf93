import {
  type AdminDeps,
  handleDeleteConfig,
  handleGetConfig,
  handleListEvents,
  handleResend,
} from '../../lambdas/core/admin';
import { Authenticator, fingerprintOf, hashApiKey } from '../../lambdas/core/api-keys';
import { dispatchHttp } from '../../lambdas/core/dispatch';
import type { HttpResponse } from '../../lambdas/core/http';
import { handleRegistration } from '../../lambdas/core/registration';
import { type RegistrationBody, registrationBody } from '../helpers/fixtures';
import { httpRequest, makeStoredEvent, memoryWorld, tick } from '../helpers/memory-ports';

const REGISTRATION: RegistrationBody = {
  ...registrationBody(),
  smsProviderToken: '5ec7e75ec7e75ec7e75ec7e75ec7e7aa',
};

async function setup() {
  const world = memoryWorld();
  const auth = new Authenticator(world.tenants, world.clock);
  const deps: AdminDeps = {
    auth,
    tenants: world.tenants,
    secrets: world.secrets,
    events: world.events,
    messages: world.messages,
    queue: world.queue,
    clock: world.clock,
    logger: world.logger,
    metrics: world.metrics,
    settings: { sweepGraceSeconds: 300 },
  };
  const register = async (tenantId = 'default'): Promise<string> => {
    const response = await handleRegistration(
      httpRequest({
        path: '/configuration',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ ...REGISTRATION, tenantId }),
      }),
      {
        tenants: world.tenants,
        secrets: world.secrets,
        sms: world.sms,
        urlPolicy: world.urlPolicy,
        clock: world.clock,
        logger: world.logger,
        metrics: world.metrics,
        auth,
        settings: { openEnrollment: true, keyGraceSeconds: 86400 },
        sleep: () => tick(),
      },
    );
    return JSON.parse(response.body) as string;
  };
  const call = (
    method: string,
    path: string,
    key: string | undefined,
    query: Record<string, string> = {},
  ): Promise<HttpResponse> =>
    dispatchHttp(
      httpRequest({ method, path, headers: key === undefined ? {} : { 'X-Fineract-API-Key': key }, query }),
      {
        getConfig: (r) => handleGetConfig(r, deps),
        deleteConfig: (r) => handleDeleteConfig(r, deps),
        listEvents: (r) => handleListEvents(r, deps),
        resendEvents: (r) => handleResend(r, deps),
      },
      world.logger,
    );
  return { world, deps, register, call };
}

describe('admin: configuration', () => {
  it('returns the config without token or mifosToken, with the account SID masked and key fingerprints', async () => {
    // Prepare
    const { register, call } = await setup();
    const key = await register();

    // Act
    const response = await call('GET', '/modules/sms/configuration/default', key);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain(REGISTRATION.smsProviderToken);
    expect(response.body).not.toContain(REGISTRATION.mifosToken);
    expect(response.body).not.toContain(REGISTRATION.smsProviderAccountId);
    expect(response.body).not.toContain(key);
    expect(response.body).not.toContain(hashApiKey(key));
    const body = JSON.parse(response.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      tenantId: 'default',
      smsProvider: 'twilio',
      phoneNo: '+15005550006',
      smsProviderAccountId: 'AC01…cdef',
      endpoint: REGISTRATION.endpoint,
      credentialsValid: true,
      keys: [{ fingerprint: fingerprintOf(hashApiKey(key)), expiresAt: null }],
    });
  });

  it('lists the previous key with its expiry after a re-registration, and drops it once expired', async () => {
    // Prepare
    const { world, register, call } = await setup();
    const oldKey = await register();
    const newKey = await register();

    // Act
    const during = JSON.parse((await call('GET', '/modules/sms/configuration/default', newKey)).body) as {
      keys: { fingerprint: string; expiresAt: string | null }[];
    };
    world.clock.advanceSeconds(86400 + 1);
    const after = JSON.parse((await call('GET', '/modules/sms/configuration/default', newKey)).body) as {
      keys: { fingerprint: string }[];
    };

    // Assess
    expect(during.keys).toHaveLength(2);
    expect(during.keys).toContainEqual(
      expect.objectContaining({ fingerprint: fingerprintOf(hashApiKey(oldKey)), expiresAt: expect.any(String) }),
    );
    expect(after.keys.map((k) => k.fingerprint)).toEqual([fingerprintOf(hashApiKey(newKey))]);
  });

  it('answers 401 on every admin route for a wrong, missing or other tenant key', async () => {
    // Prepare
    const { register, call } = await setup();
    await register('default');
    const otherKey = await register('other');
    const routes: [string, string][] = [
      ['GET', '/modules/sms/configuration/default'],
      ['DELETE', '/modules/sms/configuration/default'],
      ['GET', '/modules/sms/events/default'],
      ['POST', '/modules/sms/events/default/_resend'],
    ];

    // Act
    const statuses: number[] = [];
    for (const [method, path] of routes) {
      for (const key of ['fhk_wrong', undefined, otherKey]) statuses.push((await call(method, path, key)).statusCode);
    }

    // Assess
    expect(statuses).toEqual(new Array(12).fill(401));
  });

  it('deletes keys, config and secret; the key stops working', async () => {
    // Prepare
    const { world, register, call } = await setup();
    const key = await register();
    await register('other');

    // Act
    const response = await call('DELETE', '/modules/sms/configuration/default', key);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(await world.tenants.listApiKeys('default')).toEqual([]);
    expect(await world.tenants.getTenant('default')).toBeUndefined();
    expect(await world.secrets.getTenantSecret('default')).toBeUndefined();
    expect((await call('GET', '/modules/sms/configuration/default', key)).statusCode).toBe(401);
    expect(await world.tenants.getTenant('other')).toBeDefined();
    expect(await world.secrets.getTenantSecret('other')).toBeDefined();
  });
});

describe('admin: events', () => {
  async function seedThree(world: ReturnType<typeof memoryWorld>) {
    await world.events.putIfAbsent(
      makeStoredEvent({
        eventId: 'e-old',
        receivedAt: '2024-10-24T08:00:00.000Z',
        status: 'sent',
        outcome: { sid: 'SMx' },
      }),
    );
    await world.events.putIfAbsent(
      makeStoredEvent({
        eventId: 'e-mid',
        receivedAt: '2024-10-24T08:30:00.000Z',
        status: 'failed',
        lastError: 'HTTP 401',
      }),
    );
    await world.events.putIfAbsent(
      makeStoredEvent({ eventId: 'e-new', receivedAt: '2024-10-24T08:45:00.000Z', status: 'received' }),
    );
    await world.events.putIfAbsent(
      makeStoredEvent({ eventId: 'x-other', tenantId: 'other', receivedAt: '2024-10-24T08:50:00.000Z' }),
    );
  }

  it('lists events newest first with the old bridge field names, page by page', async () => {
    // Prepare
    const { world, register, call } = await setup();
    const key = await register();
    await seedThree(world);

    // Act
    const first = JSON.parse((await call('GET', '/modules/sms/events/default', key, { limit: '2' })).body) as {
      events: Record<string, unknown>[];
      nextCursor: string | null;
    };
    const second = JSON.parse(
      (await call('GET', '/modules/sms/events/default', key, { limit: '2', cursor: first.nextCursor ?? '' })).body,
    ) as { events: Record<string, unknown>[]; nextCursor: string | null };

    // Assess
    expect(first.events.map((e) => e.id)).toEqual(['e-new', 'e-mid']);
    expect(first.nextCursor).toEqual(expect.any(String));
    expect(second.events.map((e) => e.id)).toEqual(['e-old']);
    expect(second.nextCursor).toBeNull();
    expect(first.events[1]).toMatchObject({
      tenantId: 'default',
      entity: 'CLIENT',
      action: 'CREATE',
      processed: false,
      errorMessage: 'HTTP 401',
      createdOn: '2024-10-24T08:30:00.000Z',
      lastModifiedOn: '2024-10-24T08:30:00.000Z',
      payload: '{"clientId":42}',
    });
    expect(second.events[0]).toMatchObject({ processed: true, errorMessage: null });
  });

  it('answers 400 for a limit out of range and for a cursor that is not one', async () => {
    // Prepare
    const { register, call } = await setup();
    const key = await register();

    // Act
    const badLimit = await call('GET', '/modules/sms/events/default', key, { limit: '0' });
    const badCursor = await call('GET', '/modules/sms/events/default', key, { cursor: '%%%not-a-cursor' });

    // Assess
    expect(badLimit.statusCode).toBe(400);
    expect(badCursor.statusCode).toBe(400);
  });

  it('resends the failed events of the tenant and leaves the others', async () => {
    // Prepare
    const { world, register, call } = await setup();
    const key = await register();
    await seedThree(world);

    // Act
    const response = await call('POST', '/modules/sms/events/default/_resend', key);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({
      status: 'resent',
      tenantId: 'default',
      count: 1,
      eventIds: ['e-mid'],
    });
    expect((await world.events.get('default', 'e-mid'))?.status).toBe('received');
    expect((await world.events.get('default', 'e-old'))?.status).toBe('sent');
    expect(world.queue.enqueued.map((e) => e.message)).toEqual([{ tenantId: 'default', eventId: 'e-mid' }]);
  });
});
