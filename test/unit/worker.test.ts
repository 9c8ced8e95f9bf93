import type { SQSEvent } from 'aws-lambda';
import { LocalQueue } from '../../lambdas/adapters/local/local-queue';
import { createWorkBatchHandler } from '../../lambdas/adapters/sqs-batch-handler';
import { Authenticator, issueApiKey } from '../../lambdas/core/api-keys';
import { handleHookEvent, type IngestDeps } from '../../lambdas/core/ingest';
import type { StoredEvent, TenantConfig, TenantSecret, WorkMessage } from '../../lambdas/core/model';
import { handleTwilioStatus } from '../../lambdas/core/status-callback';
import { DEFAULT_SEND_LEASE_SECONDS, keepDueMarginSeconds } from '../../lambdas/core/lifecycle';
import { parseWorkMessage } from '../../lambdas/core/work-message';
import { processWorkMessage } from '../../lambdas/core/worker';
import { loadDelivery, withKey } from '../helpers/fixtures';
import {
  FakeSignatureVerifier,
  fineractError,
  httpRequest,
  memoryWorld,
  statusDepsOf,
  twilioErrors,
  workerDepsOf,
} from '../helpers/memory-ports';

const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const API_BASE = 'https://mifos.example.org:8443/mifosng-provider/api/v1/';
const MIFOS_TOKEN = 'bWlmb3M6cGFzc3dvcmQ=';
const PUBLIC_BASE_URL = 'https://hooks.example.org';
const WELCOME_JANE = 'Hello Jane Doe, welcome at Mifos X!';

function tenantConfig(registrationId: string, at: string, overrides: Partial<TenantConfig> = {}): TenantConfig {
  return {
    tenantId: 'default',
    smsProvider: 'twilio',
    phoneNo: '+15005550006',
    accountSid: ACCOUNT_SID,
    endpoint: API_BASE,
    apiBase: API_BASE,
    registeredAt: at,
    updatedAt: at,
    registrationId,
    ...overrides,
  };
}

async function setup(
  options: { schedule?: number[]; publicBaseUrl?: string; statusCallbackBaseUrl?: string; registered?: boolean } = {},
) {
  const world = memoryWorld();
  // No jitter: delays are exactly the schedule's.
  const deps = workerDepsOf(world, {
    retryScheduleSeconds: options.schedule ?? [10, 60, 300],
    publicBaseUrl: options.publicBaseUrl,
    statusCallbackBaseUrl: options.statusCallbackBaseUrl,
  });
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
  if (options.registered !== false) {
    await world.tenants.putTenant(tenantConfig('reg-1', world.clock.iso()));
    await world.secrets.putTenantSecret('default', {
      smsProviderToken: 'token-1',
      mifosToken: MIFOS_TOKEN,
      registrationId: 'reg-1',
    });
  }

  /** Ingests a fixture delivery (SMS Bridge ones with our key) and returns its work message. */
  async function ingest(
    name: string,
    overrides: { headers?: Record<string, string>; body?: string; params?: Record<string, string> } = {},
  ): Promise<WorkMessage> {
    const delivery = withKey(loadDelivery(name), key);
    const response = await handleHookEvent(
      httpRequest({
        method: delivery.method,
        path: delivery.path,
        headers: { ...delivery.headers, ...overrides.headers },
        body: overrides.body ?? delivery.body,
        params: overrides.params,
      }),
      ingestDeps,
    );
    world.queue.drain();
    return { tenantId: 'default', eventId: (JSON.parse(response.body) as { eventId: string }).eventId };
  }
  const work = (message: WorkMessage) => processWorkMessage(message, deps);
  const event = async (message: WorkMessage) => (await world.events.get(message.tenantId, message.eventId))!;
  return { world, deps, key, ingest, work, event };
}

describe('processWorkMessage: sent', () => {
  it('renders the template from the envelope and sends one SMS without calling Fineract', async () => {
    // Prepare
    const { world, ingest, work, event } = await setup();
    const message = await ingest('fineract-sms-client-create-envelope');

    // Act
    const outcome = await work(message);

    // Assess
    expect(outcome).toEqual({ action: 'ack', status: 'sent' });
    expect(world.sms.messages).toHaveLength(1);
    expect(world.sms.sendCalls[0]).toEqual({
      credentials: { accountSid: ACCOUNT_SID, authToken: 'token-1' },
      message: {
        to: '+254712345678',
        from: '+15005550006',
        messagingServiceSid: undefined,
        body: WELCOME_JANE,
        statusCallback: undefined,
      },
    });
    expect(world.fineract.calls).toHaveLength(0);
    const stored = await event(message);
    expect(stored).toMatchObject({ status: 'sent', attempts: 1, outcome: { sid: world.sms.messages[0]?.sid } });
    expect(stored.dueAt).toBeUndefined();
    const [record] = await world.messages.listByEvent('default', message.eventId);
    expect(record).toMatchObject({ status: 'sent', sid: world.sms.messages[0]?.sid, templateKey: 'CLIENT.CREATE' });
  });

  it('calls MifosX back for what the flat body lacks, with the stored token and the tenant header', async () => {
    // Prepare
    const { world, ingest, work } = await setup();
    world.fineract.on('clients/42', { id: 42, displayName: 'Jane Doe', mobileNo: '254712345678' });
    const message = await ingest('mifosx-sms-client-create');

    // Act
    const outcome = await work(message);

    // Assess
    expect(outcome).toEqual({ action: 'ack', status: 'sent' });
    expect(world.fineract.calls).toEqual([
      { apiBase: API_BASE, path: 'clients/42', auth: { tenantId: 'default', mifosToken: MIFOS_TOKEN } },
    ]);
    expect(world.sms.messages.map((m) => [m.to, m.body])).toEqual([['+254712345678', WELCOME_JANE]]);
  });

  it('texts a loan repayment with the account number from loans/{id}', async () => {
    // Prepare
    const { world, ingest, work } = await setup();
    world.fineract
      .on('loans/7', { id: 7, accountNo: '000000007', clientId: 42 })
      .on('clients/42', { id: 42, displayName: 'Jane Doe', mobileNo: '254712345678' });
    const message = await ingest('mifosx-sms-loan-repayment');

    // Act
    await work(message);

    // Assess
    expect(world.sms.messages.map((m) => m.body)).toEqual(['Hello Jane Doe, repayment for 000000007 received!']);
  });

  it('sends sms/send verbatim', async () => {
    // Prepare
    const { world, ingest, work } = await setup();
    const message = await ingest('mifosx-sms-send-ugd');

    // Act
    const outcome = await work(message);

    // Assess
    expect(outcome).toEqual({ action: 'ack', status: 'sent' });
    expect(world.sms.messages.map((m) => [m.to, m.body])).toEqual([
      ['+254712345678', 'Dear Jane Doe, we received your payment of 500.00. Thank you.'],
    ]);
  });

  it('gives Twilio a status callback URL under the public base URL when one is configured', async () => {
    // Prepare
    const { world, ingest, work } = await setup({ publicBaseUrl: PUBLIC_BASE_URL });
    const message = await ingest('fineract-sms-client-create-envelope');

    // Act
    await work(message);

    // Assess
    expect(world.sms.sendCalls[0]?.message.statusCallback).toBe(
      `${PUBLIC_BASE_URL}/twilio/status/default/${message.eventId}.CLIENT.CREATE`,
    );
  });

  it('gives Twilio the status function URL instead when the stack set one', async () => {
    // Prepare
    const functionUrl = 'https://abc123xyz.lambda-url.eu-west-1.on.aws';
    const { world, ingest, work } = await setup({ publicBaseUrl: PUBLIC_BASE_URL, statusCallbackBaseUrl: functionUrl });
    const message = await ingest('fineract-sms-client-create-envelope');

    // Act
    await work(message);

    // Assess
    expect(world.sms.sendCalls[0]?.message.statusCallback).toBe(
      `${functionUrl}/twilio/status/default/${message.eventId}.CLIENT.CREATE`,
    );
  });

  it('sends from the Messaging Service when the tenant has one', async () => {
    // Prepare
    const { world, ingest, work } = await setup();
    const service = `MG${'ab'.repeat(16)}`;
    await world.tenants.putTenant(tenantConfig('reg-1', world.clock.iso(), { messagingServiceSid: service }));
    const message = await ingest('fineract-sms-client-create-envelope');

    // Act
    await work(message);

    // Assess
    expect(world.sms.sendCalls[0]?.message).toMatchObject({ from: undefined, messagingServiceSid: service });
  });
});

describe('processWorkMessage: the claim and the sweeper’s due time', () => {
  /** The event each successful claim returned, as the worker saw it. */
  function recordClaims(world: ReturnType<typeof memoryWorld>): StoredEvent[] {
    const claimed: StoredEvent[] = [];
    const claim = world.events.claim.bind(world.events);
    world.events.claim = async (...args: Parameters<typeof claim>) => {
      const result = await claim(...args);
      if (result.claimed) claimed.push(result.event);
      return result;
    };
    return claimed;
  }

  it('keeps ingest’s due time when it is further ahead than a run and a send lease', async () => {
    // Prepare
    const { world, ingest, work } = await setup();
    const message = await ingest('fineract-sms-client-create-envelope');
    const dueAtIngest = (await world.events.get(message.tenantId, message.eventId))!.dueAt;
    const claimed = recordClaims(world);
    world.clock.advanceSeconds(5);

    // Act
    await work(message);

    // Assess
    expect(claimed.map((e) => e.dueAt)).toEqual([dueAtIngest]);
  });

  it('does not try to keep a due time when the sweep grace is shorter than a run and a send lease', async () => {
    // Prepare
    const { world, ingest } = await setup();
    const message = await ingest('fineract-sms-client-create-envelope');
    const deps = workerDepsOf(world, { sweepGraceSeconds: 30 });
    const asked: (string | undefined)[] = [];
    const claim = world.events.claim.bind(world.events);
    world.events.claim = (tenantId, eventId, at) => {
      asked.push(at.keepDueFrom);
      return claim(tenantId, eventId, at);
    };

    // Act
    const outcome = await processWorkMessage(message, deps);

    // Assess
    expect(outcome).toEqual({ action: 'ack', status: 'sent' });
    expect(asked).toEqual([undefined]);
  });

  it('moves a due time that could pass during the run', async () => {
    // Prepare
    const { world, ingest, work } = await setup();
    const message = await ingest('fineract-sms-client-create-envelope');
    const claimed = recordClaims(world);
    world.clock.advanceSeconds(300 - keepDueMarginSeconds(DEFAULT_SEND_LEASE_SECONDS) + 1);

    // Act
    await work(message);

    // Assess
    expect(claimed.map((e) => e.dueAt)).toEqual([new Date(world.clock.now().getTime() + 300_000).toISOString()]);
  });
});

describe('processWorkMessage: final outcomes without an SMS', () => {
  it('records a failed command (Fineract ≥ 1.9 envelope without response) and texts nothing', async () => {
    // Prepare
    const { world, ingest, work, event } = await setup();
    const message = await ingest('fineract-sms-client-create-envelope', {
      headers: { 'X-Fineract-Entity': 'LOAN', 'X-Fineract-Action': 'REPAYMENT' },
      body: loadDelivery('fineract-web-json-loan-repayment-failed').body,
    });

    // Act
    const outcome = await work(message);

    // Assess
    expect(outcome).toEqual({ action: 'ack', status: 'failed-command' });
    expect((await event(message)).status).toBe('failed-command');
    expect(world.sms.sendCalls).toHaveLength(0);
    expect(world.fineract.calls).toHaveLength(0);
  });

  it('ignores an SMS Bridge event that has no template', async () => {
    // Prepare
    const { world, ingest, work, event } = await setup();
    const message = await ingest('mifosx-sms-client-create', {
      headers: { 'X-Mifos-Entity': 'OFFICE', 'X-Mifos-Action': 'CREATE' },
      body: '{"officeId":2,"resourceId":2}',
    });

    // Act
    const outcome = await work(message);

    // Assess
    expect(outcome).toEqual({ action: 'ack', status: 'ignored' });
    expect((await event(message)).lastError).toContain('no SMS template for OFFICE.CREATE');
    expect(world.sms.sendCalls).toHaveLength(0);
  });

  it('ignores a key whose tenant template override is empty', async () => {
    // Prepare
    const { world, ingest, work } = await setup();
    await world.tenants.putTemplate('default', 'CLIENT.CREATE', '');
    const message = await ingest('fineract-sms-client-create-envelope');

    // Act
    const outcome = await work(message);

    // Assess
    expect(outcome).toEqual({ action: 'ack', status: 'ignored' });
    expect(world.sms.sendCalls).toHaveLength(0);
  });

  it('ignores a Web hook event (SMS is for SMS Bridge hooks only)', async () => {
    // Prepare
    const { world, key, ingest, work, event } = await setup();
    const message = await ingest('mifosx-web-json-loan-disburse', { params: { apiKey: key } });

    // Act
    const outcome = await work(message);

    // Assess
    expect((await event(message)).template).toBe('web');
    expect(outcome).toEqual({ action: 'ack', status: 'ignored' });
    expect(world.sms.sendCalls).toHaveLength(0);
  });

  it('ignores an event of a tenant that has a key but no SMS Bridge configuration', async () => {
    // Prepare
    const { world, ingest, work } = await setup({ registered: false });
    const message = await ingest('fineract-sms-client-create-envelope');

    // Act
    const outcome = await work(message);

    // Assess
    expect(outcome).toEqual({ action: 'ack', status: 'ignored' });
    expect(world.sms.sendCalls).toHaveLength(0);
  });

  it('marks no-recipient when the client has no mobile number anywhere', async () => {
    // Prepare
    const { world, ingest, work } = await setup();
    world.fineract.on('clients/42', { id: 42, displayName: 'Jane Doe' });
    const message = await ingest('mifosx-sms-client-create');

    // Act
    const outcome = await work(message);

    // Assess
    expect(outcome).toEqual({ action: 'ack', status: 'no-recipient' });
    expect(world.sms.sendCalls).toHaveLength(0);
  });

  it('marks invalid-recipient for a number that is not one, without calling Twilio', async () => {
    // Prepare
    const { world, ingest, work } = await setup();
    const message = await ingest('mifosx-sms-send-ugd', { body: '{"mobileNo":"not-a-number","message":"Hello"}' });

    // Act
    const outcome = await work(message);

    // Assess
    expect(outcome).toEqual({ action: 'ack', status: 'invalid-recipient' });
    expect(world.sms.sendCalls).toHaveLength(0);
  });

  it('marks invalid-recipient when Twilio answers 21211, and the message record failed', async () => {
    // Prepare
    const { world, ingest, work, event } = await setup();
    world.sms.failNext(1, twilioErrors.invalidTo());
    const message = await ingest('fineract-sms-client-create-envelope');

    // Act
    const outcome = await work(message);

    // Assess
    expect(outcome).toEqual({ action: 'ack', status: 'invalid-recipient' });
    expect((await event(message)).status).toBe('invalid-recipient');
    const [record] = await world.messages.listByEvent('default', message.eventId);
    expect(record).toMatchObject({ status: 'failed', errorCode: '21211' });
  });
});

describe('processWorkMessage: retries', () => {
  it('retries Twilio 500s with the schedule delays, then sends exactly one SMS', async () => {
    // Prepare
    const { world, ingest, work, event } = await setup({ schedule: [10, 60, 300] });
    world.sms.failNext(2, twilioErrors.serverError());
    const message = await ingest('fineract-sms-client-create-envelope');

    // Act
    const first = await work(message);
    world.clock.advanceSeconds(10);
    const second = await work(message);
    world.clock.advanceSeconds(60);
    const third = await work(message);

    // Assess
    expect(first).toMatchObject({ action: 'retry', delaySeconds: 10 });
    expect(second).toMatchObject({ action: 'retry', delaySeconds: 60 });
    expect(third).toEqual({ action: 'ack', status: 'sent' });
    expect(world.sms.sendCalls).toHaveLength(3);
    expect(world.sms.messages).toHaveLength(1);
    const stored = await event(message);
    expect(stored).toMatchObject({ status: 'sent', attempts: 3 });
    expect(stored.dueAt).toBeUndefined();
  });

  it('sends again without a Twilio lookup when Twilio answered the failed attempt with an error status', async () => {
    // Prepare
    const { world, ingest, work } = await setup({ schedule: [10] });
    world.sms.failNext(1, twilioErrors.serverError());
    const message = await ingest('fineract-sms-client-create-envelope');

    // Act
    await work(message);
    world.clock.advanceSeconds(10);
    const second = await work(message);

    // Assess
    expect(second).toEqual({ action: 'ack', status: 'sent' });
    expect(world.sms.findCalls).toHaveLength(0);
    expect(world.sms.messages).toHaveLength(1);
  });

  it('records a retry with its next attempt time and a due time after it', async () => {
    // Prepare
    const { ingest, work, event, world } = await setup({ schedule: [10] });
    world.sms.failNext(1, twilioErrors.serverError());
    const message = await ingest('fineract-sms-client-create-envelope');
    const start = world.clock.now().getTime();

    // Act
    await work(message);

    // Assess
    const stored = await event(message);
    expect(stored).toMatchObject({
      status: 'retrying',
      attempts: 1,
      nextAttemptAt: new Date(start + 10_000).toISOString(),
      dueAt: new Date(start + 10_000 + 300_000).toISOString(),
      lastError: expect.stringContaining('server error'),
    });
  });

  it('waits at least Retry-After on a 429', async () => {
    // Prepare
    const { world, ingest, work } = await setup({ schedule: [10, 60] });
    world.sms.failNext(1, twilioErrors.rateLimited(120));
    const message = await ingest('fineract-sms-client-create-envelope');

    // Act
    const outcome = await work(message);

    // Assess
    expect(outcome.action).toBe('retry');
    expect(outcome.action === 'retry' && outcome.delaySeconds).toBeGreaterThanOrEqual(120);
  });

  it('fails on 20003, pauses the tenant, and fails its next event without calling Twilio', async () => {
    // Prepare
    const { world, ingest, work, event } = await setup();
    world.sms.failNext(1, twilioErrors.authenticate());
    const first = await ingest('fineract-sms-client-create-envelope');
    const second = await ingest('mifosx-sms-send-ugd');

    // Act
    const firstOutcome = await work(first);
    const secondOutcome = await work(second);

    // Assess
    expect(firstOutcome).toEqual({ action: 'ack', status: 'failed' });
    expect((await world.tenants.getTenant('default'))?.credentialsInvalidAt).toBe(world.clock.iso());
    expect(secondOutcome).toEqual({ action: 'ack', status: 'failed' });
    expect((await event(second)).lastError).toContain('20003');
    expect(world.sms.sendCalls).toHaveLength(1);
  });

  it('goes dead and asks for a dead-letter when the schedule is used up', async () => {
    // Prepare
    const { world, ingest, work, event } = await setup({ schedule: [10] });
    world.sms.failNext(2, twilioErrors.serverError());
    const message = await ingest('fineract-sms-client-create-envelope');
    await work(message);
    world.clock.advanceSeconds(10);

    // Act
    const outcome = await work(message);

    // Assess
    expect(outcome).toMatchObject({ action: 'dead-letter', reason: expect.stringContaining('server error') });
    const stored = await event(message);
    expect(stored).toMatchObject({ status: 'dead', attempts: 2 });
    expect(stored.dueAt).toBeUndefined();
    expect(world.metrics.get('EventDead')).toBe(1);
  });

  it('retries a Fineract 404 within the first minute, and fails it after', async () => {
    // Prepare
    const { world, ingest, work, event } = await setup({ schedule: [10, 60, 300] });
    world.fineract.on('clients/42', fineractError(404));
    const message = await ingest('mifosx-sms-client-create');

    // Act
    const early = await work(message);
    world.clock.advanceSeconds(61);
    const late = await work(message);

    // Assess
    expect(early).toMatchObject({ action: 'retry', delaySeconds: 10 });
    expect(late).toEqual({ action: 'ack', status: 'failed' });
    expect((await event(message)).lastError).toContain('404');
    expect(world.sms.sendCalls).toHaveLength(0);
  });

  it('retries a Fineract 5xx', async () => {
    // Prepare
    const { world, ingest, work } = await setup();
    world.fineract.on('clients/42', fineractError(503));
    const message = await ingest('mifosx-sms-client-create');

    // Act
    const outcome = await work(message);

    // Assess
    expect(outcome).toMatchObject({ action: 'retry', delaySeconds: 10 });
    expect(world.sms.sendCalls).toHaveLength(0);
  });

  it('answers an early copy of a retrying event with a retry for the remaining time, spending no attempt', async () => {
    // Prepare
    const { world, ingest, work, event } = await setup({ schedule: [30] });
    world.sms.failNext(1, twilioErrors.serverError());
    const message = await ingest('fineract-sms-client-create-envelope');
    await work(message);
    world.clock.advanceSeconds(12);

    // Act
    const outcome = await work(message);

    // Assess
    expect(outcome).toEqual({ action: 'retry', delaySeconds: 18, error: 'not due yet' });
    expect((await event(message)).attempts).toBe(1);
    expect(world.sms.sendCalls).toHaveLength(1);
  });
});

describe('processWorkMessage: at most one SMS', () => {
  it('finds a message Twilio accepted while the worker heard nothing, and does not send it again', async () => {
    // Prepare
    const { world, ingest, work, event } = await setup();
    world.sms.acceptThenThrow();
    const message = await ingest('fineract-sms-client-create-envelope');
    const first = await work(message);
    world.clock.advanceSeconds(10);

    // Act
    const second = await work(message);

    // Assess
    expect(first.action).toBe('retry');
    expect(second).toEqual({ action: 'ack', status: 'sent' });
    expect(world.sms.messages).toHaveLength(1);
    expect(world.sms.sendCalls).toHaveLength(1);
    expect(world.sms.findCalls).toHaveLength(1);
    const sid = world.sms.messages[0]!.sid;
    expect((await event(message)).outcome).toMatchObject({ sid });
    const [record] = await world.messages.listByEvent('default', message.eventId);
    expect(record).toMatchObject({ status: 'sent', sid });
  });

  it('waits out the lease of a worker that died mid-send, then finds its message instead of sending again', async () => {
    // Prepare
    const { world, ingest, work, event } = await setup();
    const message = await ingest('fineract-sms-client-create-envelope');
    // A worker claimed the message, Twilio accepted it, and the worker died before recording anything.
    const at = world.clock.iso();
    const messageId = `${message.eventId}.CLIENT.CREATE`;
    await world.messages.createIfAbsent({
      tenantId: 'default',
      messageId,
      eventId: message.eventId,
      templateKey: 'CLIENT.CREATE',
      status: 'sending',
      to: '+254712345678',
      from: '+15005550006',
      body: WELCOME_JANE,
      encoding: 'GSM-7',
      segments: 1,
      attemptStartedAt: at,
      leaseUntil: new Date(world.clock.now().getTime() + DEFAULT_SEND_LEASE_SECONDS * 1000).toISOString(),
      createdAt: at,
      updatedAt: at,
    });
    await world.sms.send(
      { accountSid: ACCOUNT_SID, authToken: 'token-1' },
      { to: '+254712345678', from: '+15005550006', body: WELCOME_JANE },
    );
    world.clock.advanceSeconds(5);

    // Act
    const during = await work(message);
    world.clock.advanceSeconds(DEFAULT_SEND_LEASE_SECONDS);
    const after = await work(message);

    // Assess
    expect(during.action).toBe('retry');
    expect(during.action === 'retry' && during.delaySeconds).toBeGreaterThanOrEqual(DEFAULT_SEND_LEASE_SECONDS - 5);
    expect(after).toEqual({ action: 'ack', status: 'sent' });
    expect(world.sms.messages).toHaveLength(1);
    expect((await event(message)).outcome).toMatchObject({ sid: world.sms.messages[0]!.sid });
  });

  it('sends exactly one SMS when two workers process the same event at once', async () => {
    // Prepare
    const { world, ingest, work, event } = await setup();
    const message = await ingest('fineract-sms-client-create-envelope');

    // Act
    const outcomes = await Promise.all([work(message), work(message)]);

    // Assess
    expect(world.sms.messages).toHaveLength(1);
    expect(outcomes).toContainEqual({ action: 'ack', status: 'sent' });
    expect(outcomes.map((o) => o.action)).not.toContain('dead-letter');
    expect((await event(message)).status).toBe('sent');
  });

  it('counts a send as done when the status callback recorded it before the worker did', async () => {
    // Prepare
    const { world, ingest, work, event } = await setup({ publicBaseUrl: PUBLIC_BASE_URL });
    const message = await ingest('fineract-sms-client-create-envelope');
    const messageId = `${message.eventId}.CLIENT.CREATE`;
    world.sms.onAccepted = async (accepted) => {
      // Twilio's "sent" report arrives before its answer to the send call (it does, under load).
      const params = { MessageSid: accepted.sid, MessageStatus: 'sent', AccountSid: ACCOUNT_SID };
      const url = `${PUBLIC_BASE_URL}/twilio/status/default/${messageId}`;
      await handleTwilioStatus(
        httpRequest({
          path: `/twilio/status/default/${messageId}`,
          headers: { 'X-Twilio-Signature': FakeSignatureVerifier.sign('token-1', url, params) },
          body: new URLSearchParams(params).toString(),
          params: { tenantId: 'default', messageId },
        }),
        statusDepsOf(world, { publicBaseUrl: PUBLIC_BASE_URL }),
      );
    };

    // Act
    const outcome = await work(message);

    // Assess
    expect((await world.messages.get('default', messageId))?.status).toBe('sent');
    expect(outcome).toEqual({ action: 'ack', status: 'sent' });
    expect((await event(message)).status).toBe('sent');
    expect(world.sms.messages).toHaveLength(1);
  });
});

describe('processWorkMessage: credentials changing under a send', () => {
  const newConfig = (at: string) => tenantConfig('reg-2', at, { accountSid: `AC${'f'.repeat(32)}` });
  const newSecret: TenantSecret = { smsProviderToken: 'token-2', mifosToken: MIFOS_TOKEN, registrationId: 'reg-2' };

  it('does not mark a registration that replaced the rejected credentials during the send', async () => {
    // Prepare
    const { world, ingest, work } = await setup();
    const message = await ingest('fineract-sms-client-create-envelope');
    world.sms.failNext(1, twilioErrors.authenticate());
    world.sms.onSend = async () => {
      // The tenant registers again (new Twilio account) while the old credentials are being refused.
      await world.secrets.putTenantSecret('default', newSecret);
      await world.tenants.putTenant(newConfig(world.clock.iso()));
    };

    // Act
    const outcome = await work(message);

    // Assess
    expect(outcome).toEqual({ action: 'ack', status: 'failed' });
    const config = await world.tenants.getTenant('default');
    expect(config?.registrationId).toBe('reg-2');
    expect(config?.credentialsInvalidAt).toBeUndefined();
  });

  it('never sends with a token of another registration than the account SID it pairs it with', async () => {
    // Prepare
    const { world, ingest, work } = await setup();
    const message = await ingest('fineract-sms-client-create-envelope');
    const readSecret = world.secrets.getTenantSecret.bind(world.secrets);
    jest.spyOn(world.secrets, 'getTenantSecret').mockImplementationOnce(async (tenantId) => {
      // Registration writes the secret, then the config, between the worker's two reads.
      await world.secrets.putTenantSecret('default', newSecret);
      await world.tenants.putTenant(newConfig(world.clock.iso()));
      return readSecret(tenantId);
    });

    // Act
    const outcome = await work(message);

    // Assess
    // Either it sent with a matching pair, or it noticed the mismatch and tries again later.
    expect(outcome.action === 'retry' || world.sms.sendCalls.length === 1).toBe(true);
    const pairs = world.sms.sendCalls.map((c) => [c.credentials.accountSid, c.credentials.authToken]);
    for (const [accountSid, token] of pairs) {
      expect([
        [ACCOUNT_SID, 'token-1'],
        [`AC${'f'.repeat(32)}`, 'token-2'],
      ]).toContainEqual([accountSid, token]);
    }
  });
});

describe('processWorkMessage: redeliveries and poison', () => {
  it('acknowledges a redelivered final event without doing any work', async () => {
    // Prepare
    const { world, ingest, work, event } = await setup();
    const message = await ingest('fineract-sms-client-create-envelope');
    await work(message);
    const before = await event(message);
    world.clock.advanceSeconds(30);

    // Act
    const outcome = await work(message);

    // Assess
    expect(outcome).toEqual({ action: 'ack', status: 'sent' });
    expect(await event(message)).toEqual(before);
    expect(world.sms.sendCalls).toHaveLength(1);
  });

  it('dead-letters a message whose event does not exist', async () => {
    // Prepare
    const { work } = await setup();

    // Act
    const outcome = await work({ tenantId: 'default', eventId: 'no-such-event' });

    // Assess
    expect(outcome).toEqual({ action: 'dead-letter', reason: 'event not found' });
  });

  it.each([
    ['not json', 'hello'],
    ['empty', ''],
    ['null', 'null'],
    ['a string', '"default"'],
    ['an array', '[]'],
    ['missing eventId', '{"tenantId":"default"}'],
    ['numeric ids', '{"tenantId":1,"eventId":2}'],
  ])('parseWorkMessage refuses a poison body (%s)', (_label, body) => {
    // Prepare
    const input = body;

    // Act
    const parsed = parseWorkMessage(input);

    // Assess
    expect(parsed).toBeUndefined();
  });

  it('parseWorkMessage keeps only tenantId and eventId of a good body', () => {
    // Prepare
    const body = '{"tenantId":"default","eventId":"abc","extra":true}';

    // Act
    const parsed = parseWorkMessage(body);

    // Assess
    expect(parsed).toEqual({ tenantId: 'default', eventId: 'abc' });
  });
});

describe('processWorkMessage: an event the events table refused at ingest', () => {
  it('stores the event the message carries under its id, then sends its SMS once', async () => {
    // Prepare
    const { world, deps, key } = await setup();
    const refusing = Object.assign(Object.create(world.events) as typeof world.events, {
      putIfAbsent: async () => {
        throw new Error('ProvisionedThroughputExceededException');
      },
    });
    const delivery = withKey(loadDelivery('fineract-sms-client-create-envelope'), key);
    const accepted = await handleHookEvent(
      httpRequest({ method: delivery.method, path: delivery.path, headers: delivery.headers, body: delivery.body }),
      {
        auth: new Authenticator(world.tenants, world.clock, 0),
        events: refusing,
        queue: world.queue,
        clock: world.clock,
        logger: world.logger,
        metrics: world.metrics,
        settings: { maxBodyBytes: 1024 * 1024, sweepGraceSeconds: 300 },
      },
    );
    const [carried] = world.queue.drain();
    const body = JSON.stringify(carried);

    // Act
    const first = await processWorkMessage(parseWorkMessage(body)!, deps);
    const again = await processWorkMessage(parseWorkMessage(body)!, deps);

    // Assess
    const { eventId } = JSON.parse(accepted.body) as { eventId: string };
    expect(accepted.statusCode).toBe(200);
    expect(carried?.unstored?.eventId).toBe(eventId);
    expect(first).toEqual({ action: 'ack', status: 'sent' });
    expect(again).toEqual({ action: 'ack', status: 'sent' });
    expect(world.sms.messages).toHaveLength(1);
    expect((await world.events.get('default', eventId))?.status).toBe('sent');
  });

  it('refuses a message whose carried event names another event', () => {
    // Prepare
    const body = JSON.stringify({ tenantId: 'default', eventId: 'a', unstored: { tenantId: 'default', eventId: 'b' } });

    // Act
    const parsed = parseWorkMessage(body);

    // Assess
    expect(parsed).toBeUndefined();
  });
});

describe('the 12-hour step and SQS’s visibility limit (local queue twin)', () => {
  it('hides a message for the last schedule step without an error, and sends once when it is due', async () => {
    // Prepare
    const { world, deps, ingest } = await setup({ schedule: [43_200] });
    world.sms.failNext(1, twilioErrors.serverError());
    const queue = new LocalQueue({ visibilityTimeoutSeconds: 360, maxReceiveCount: 6, now: world.clock.nowMs });
    const handler = createWorkBatchHandler(() => ({ worker: deps, control: queue.control }));
    queue.send(JSON.stringify(await ingest('fineract-sms-client-create-envelope')));
    const runVisible = async () => {
      const records = queue
        .receive(10)
        .map((d) => ({ messageId: d.messageId, receiptHandle: d.receiptHandle, body: d.body }));
      // A batch that starts a little after its receive, as in Lambda.
      world.clock.advanceSeconds(30);
      const result = await handler({ Records: records } as unknown as SQSEvent);
      const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
      for (const r of records) if (!failed.has(r.messageId)) queue.delete(r.receiptHandle);
      return records.length;
    };

    // Act
    const first = await runVisible();
    world.clock.advanceSeconds(43_200 - 900);
    const early = await runVisible();
    world.clock.advanceSeconds(43_200);
    const due = await runVisible();
    const after = await runVisible();

    // Assess
    expect([first, early, due, after]).toEqual([1, 1, 1, 0]);
    expect(world.logger.at('error')).toEqual([]);
    expect(queue.deadLetters).toEqual([]);
    expect(world.sms.messages).toHaveLength(1);
  });

  it('the twin refuses a visibility that ends more than 12 hours after the receive, as SQS does', () => {
    // Prepare
    let now = 0;
    const queue = new LocalQueue({ visibilityTimeoutSeconds: 360, maxReceiveCount: 6, now: () => now });
    queue.send('{}');
    const [delivery] = queue.receive(1);
    now += 60_000;

    // Act
    const beyond = () => queue.changeVisibility(delivery!.receiptHandle, 43_200);
    const within = () => queue.changeVisibility(delivery!.receiptHandle, 43_140);

    // Assess
    expect(beyond).toThrow(/beyond the limit \[43200 seconds\]/);
    expect(within).not.toThrow();
  });
});
