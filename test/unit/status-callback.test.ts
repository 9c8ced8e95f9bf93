import { dispatchHttp } from '../../lambdas/core/dispatch';
import type { HttpResponse } from '../../lambdas/core/http';
import type { SecretStore } from '../../lambdas/core/ports';
import { handleTwilioStatus, type StatusCallbackDeps, statusCallbackUrl } from '../../lambdas/core/status-callback';
import {
  FakeSignatureVerifier,
  httpRequest,
  memoryWorld,
  sentMessageRecord,
  statusDepsOf,
} from '../helpers/memory-ports';

const PUBLIC_BASE_URL = 'https://hooks.example.org';
const TOKEN = 'token-1';
const MESSAGE_ID = 'MK13gwM-nanlhPJgA2GMks.CLIENT.CREATE';
const SID = `SM${'1'.repeat(32)}`;

async function setup(
  settings: StatusCallbackDeps['settings'] = { publicBaseUrl: PUBLIC_BASE_URL },
  overrides: Partial<Pick<StatusCallbackDeps, 'secrets'>> = {},
) {
  const world = memoryWorld();
  const deps: StatusCallbackDeps = { ...statusDepsOf(world, settings), ...overrides };
  await world.secrets.putTenantSecret('default', { smsProviderToken: TOKEN, registrationId: 'reg-1' });
  const record = sentMessageRecord(world, { messageId: MESSAGE_ID, sid: SID });
  await world.messages.createIfAbsent(record);

  /** A Twilio report for `messageId`, signed over `signedUrl` with `token` (or with the given signature). */
  const report = (
    params: Record<string, string>,
    options: { messageId?: string; signature?: string | null; signedUrl?: string; token?: string } = {},
  ): Promise<HttpResponse> => {
    const messageId = options.messageId ?? MESSAGE_ID;
    const signedUrl = options.signedUrl ?? statusCallbackUrl(PUBLIC_BASE_URL, 'default', messageId);
    const signature =
      options.signature === undefined
        ? FakeSignatureVerifier.sign(options.token ?? TOKEN, signedUrl, params)
        : options.signature;
    const headers: Record<string, string> = {
      Host: 'attacker.example.com',
      'Content-Type': 'application/x-www-form-urlencoded',
    };
    if (signature !== null) headers['X-Twilio-Signature'] = signature;
    return dispatchHttp(
      httpRequest({
        path: `/twilio/status/default/${encodeURIComponent(messageId)}`,
        headers,
        body: new URLSearchParams(params).toString(),
      }),
      { twilioStatus: (r) => handleTwilioStatus(r, deps) },
      world.logger,
    );
  };
  return { world, report };
}

const delivered = { MessageSid: SID, MessageStatus: 'delivered', AccountSid: `AC${'0'.repeat(32)}` };

describe('handleTwilioStatus', () => {
  it('records a correctly signed delivery report', async () => {
    // Prepare
    const { world, report } = await setup();

    // Act
    const response = await report(delivered);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(await world.messages.get('default', MESSAGE_ID)).toMatchObject({
      status: 'delivered',
      providerStatus: 'delivered',
      sid: SID,
    });
    expect(world.metrics.get('SmsStatus_delivered')).toBe(1);
  });

  it('records a "sent" report without counting a metric (the worker counted SmsSent), then counts the final one', async () => {
    // Prepare
    const { world, report } = await setup();

    // Act
    const sent = await report({ ...delivered, MessageStatus: 'sent' });
    const statusAfterSent = (await world.messages.get('default', MESSAGE_ID))?.providerStatus;
    const final = await report({ ...delivered, MessageStatus: 'undelivered', ErrorCode: '30003' });

    // Assess
    expect([sent.statusCode, final.statusCode]).toEqual([200, 200]);
    expect(statusAfterSent).toBe('sent');
    expect(world.metrics.get('SmsStatus_sent')).toBe(0);
    expect(world.metrics.get('SmsStatus_undelivered')).toBe(1);
    expect(await world.messages.get('default', MESSAGE_ID)).toMatchObject({
      status: 'undelivered',
      errorCode: '30003',
    });
  });

  it('refuses a report without X-Twilio-Signature with 403', async () => {
    // Prepare
    const { world, report } = await setup();

    // Act
    const response = await report(delivered, { signature: null });

    // Assess
    expect(response.statusCode).toBe(403);
    expect((await world.messages.get('default', MESSAGE_ID))?.status).toBe('sent');
  });

  it('refuses a report with a wrong signature, or one made with another token, with 403', async () => {
    // Prepare
    const { world, report } = await setup();

    // Act
    const garbage = await report(delivered, { signature: 'bm90IGEgc2lnbmF0dXJl' });
    const otherToken = await report(delivered, { token: 'token-of-someone-else' });

    // Assess
    expect([garbage.statusCode, otherToken.statusCode]).toEqual([403, 403]);
    expect((await world.messages.get('default', MESSAGE_ID))?.status).toBe('sent');
  });

  it('verifies against the URL built from the public base URL, not from the Host header', async () => {
    // Prepare
    const { world, report } = await setup();
    const hostUrl = `https://attacker.example.com/twilio/status/default/${encodeURIComponent(MESSAGE_ID)}`;

    // Act
    const signedForHost = await report(delivered, { signedUrl: hostUrl });
    const signedForPublic = await report(delivered);

    // Assess
    expect(signedForHost.statusCode).toBe(403);
    expect(signedForPublic.statusCode).toBe(200);
    expect(world.signatures.calls.map((c) => c.url)).toEqual([
      `${PUBLIC_BASE_URL}/twilio/status/default/${encodeURIComponent(MESSAGE_ID)}`,
      `${PUBLIC_BASE_URL}/twilio/status/default/${encodeURIComponent(MESSAGE_ID)}`,
    ]);
  });

  it('refuses every report when no public base URL is configured', async () => {
    // Prepare
    const { world, report } = await setup({ publicBaseUrl: undefined });

    // Act
    const response = await report(delivered);

    // Assess
    expect(response.statusCode).toBe(403);
    expect((await world.messages.get('default', MESSAGE_ID))?.status).toBe('sent');
  });

  it('keeps delivered when a late "sent" report arrives after it', async () => {
    // Prepare
    const { world, report } = await setup();
    await report(delivered);

    // Act
    const late = await report({ ...delivered, MessageStatus: 'sent' });

    // Assess
    expect(late.statusCode).toBe(200);
    expect(await world.messages.get('default', MESSAGE_ID)).toMatchObject({
      status: 'delivered',
      providerStatus: 'delivered',
    });
  });

  it('records an undelivered report with its error code', async () => {
    // Prepare
    const { world, report } = await setup();

    // Act
    const response = await report({ ...delivered, MessageStatus: 'undelivered', ErrorCode: '30003' });

    // Assess
    expect(response.statusCode).toBe(200);
    expect(await world.messages.get('default', MESSAGE_ID)).toMatchObject({
      status: 'undelivered',
      errorCode: '30003',
    });
  });

  it('answers 404 for a correctly signed report about an unknown message', async () => {
    // Prepare
    const { world, report } = await setup();

    // Act
    const response = await report(delivered, { messageId: 'nope.CLIENT.CREATE' });

    // Assess
    expect(response.statusCode).toBe(404);
    expect(world.messages.all()).toHaveLength(1);
  });
  it.each<[string, string, string]>([
    ['a 3 KB tenant id', `/twilio/status/${'t'.repeat(3072)}/${MESSAGE_ID}`, 'bad_tenant_id'],
    ['a tenant id with a control character', `/twilio/status/de%07fault/${MESSAGE_ID}`, 'bad_tenant_id'],
    ['a 3 KB message id', `/twilio/status/default/${'m'.repeat(3072)}`, 'bad_message_id'],
    ['a message id with Unicode', `/twilio/status/default/${encodeURIComponent('é.CLIENT.CREATE')}`, 'bad_message_id'],
  ])('answers 400 for %s in the path, before any secret or message lookup', async (_label, path, code) => {
    // Prepare
    const { world } = await setup();
    const noLookups: SecretStore = {
      getTenantSecret: () => Promise.reject(new Error('no lookup expected')),
      putTenantSecret: () => Promise.reject(new Error('no write expected')),
      deleteTenantSecret: () => Promise.reject(new Error('no write expected')),
    };
    const deps: StatusCallbackDeps = {
      messages: world.messages,
      secrets: noLookups,
      signatures: world.signatures,
      clock: world.clock,
      logger: world.logger,
      metrics: world.metrics,
      settings: { publicBaseUrl: PUBLIC_BASE_URL },
    };
    const request = httpRequest({ path, headers: { 'X-Twilio-Signature': 'c2ln' }, body: 'MessageStatus=delivered' });

    // Act
    const response = await dispatchHttp(request, { twilioStatus: (r) => handleTwilioStatus(r, deps) }, world.logger);

    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).error.code).toBe(code);
  });
});

describe('handleTwilioStatus: cheap checks before the secret', () => {
  const noSecrets: SecretStore = {
    getTenantSecret: () => Promise.reject(new Error('no secret lookup expected')),
    putTenantSecret: () => Promise.reject(new Error('no write expected')),
    deleteTenantSecret: () => Promise.reject(new Error('no write expected')),
  };

  async function forged(path: string, signature: string) {
    const world = memoryWorld();
    const deps: StatusCallbackDeps = {
      messages: world.messages,
      secrets: noSecrets,
      signatures: world.signatures,
      clock: world.clock,
      logger: world.logger,
      metrics: world.metrics,
      settings: { publicBaseUrl: PUBLIC_BASE_URL },
    };
    return dispatchHttp(
      httpRequest({ path, headers: { 'X-Twilio-Signature': signature }, body: 'MessageStatus=delivered' }),
      { twilioStatus: (r) => handleTwilioStatus(r, deps) },
      world.logger,
    );
  }

  it('refuses a signature that is no HMAC in base64 with a 403, reading nothing', async () => {
    // Prepare
    const path = `/twilio/status/default/${MESSAGE_ID}`;

    // Act
    const response = await forged(path, 'not-a-signature');

    // Assess
    expect(response.statusCode).toBe(403);
  });

  it('answers 404 for a well-formed report about a message that does not exist, before any secret lookup', async () => {
    // Prepare
    const path = `/twilio/status/default/${MESSAGE_ID}`;

    // Act
    const response = await forged(path, `${'A'.repeat(27)}=`);

    // Assess
    expect(response.statusCode).toBe(404);
  });
});

describe('handleTwilioStatus: a warm container (the tenant secret already held)', () => {
  /** The secret as a warm container holds it: no request to the secret store, only what it already has. */
  const held: SecretStore = {
    peekTenantSecret: (tenantId) =>
      tenantId === 'default' ? { smsProviderToken: TOKEN, registrationId: 'reg-1' } : undefined,
    getTenantSecret: () => Promise.reject(new Error('no secret request expected')),
    putTenantSecret: () => Promise.reject(new Error('no write expected')),
    deleteTenantSecret: () => Promise.reject(new Error('no write expected')),
  };

  /** Counts the message reads the handler makes. */
  function countReads(world: Awaited<ReturnType<typeof setup>>['world']): { reads: number } {
    const counter = { reads: 0 };
    const get = world.messages.get.bind(world.messages);
    world.messages.get = (...args: Parameters<typeof get>) => {
      counter.reads++;
      return get(...args);
    };
    return counter;
  }

  it('records a genuine report with its one conditional update: no read, the sid the send recorded kept', async () => {
    // Prepare
    const { world, report } = await setup(undefined, { secrets: held });
    const counter = countReads(world);

    // Act
    const response = await report({ ...delivered, MessageSid: `SM${'2'.repeat(32)}` });

    // Assess
    expect(response.statusCode).toBe(200);
    expect(counter.reads).toBe(0);
    expect(await world.messages.get('default', MESSAGE_ID)).toMatchObject({ status: 'delivered', sid: SID });
  });

  it('refuses a forged report about an unknown message with one read and no secret request', async () => {
    // Prepare
    const { world, report } = await setup(undefined, { secrets: held });
    const counter = countReads(world);

    // Act
    const response = await report(delivered, { token: 'token-of-someone-else', messageId: 'nope.CLIENT.CREATE' });

    // Assess
    expect(response.statusCode).toBe(403);
    expect(counter.reads).toBe(1);
    expect((await world.messages.get('default', MESSAGE_ID))?.status).toBe('sent');
  });

  it('checks a report the held token refuses once more against the stored secret: a token changed since', async () => {
    // Prepare: the container still holds token-1; the tenant re-registered with token-2
    const freshReads: string[] = [];
    const rotated: SecretStore = {
      ...held,
      getTenantSecret: async (tenantId, options) => {
        if (options?.fresh) freshReads.push(tenantId);
        return { smsProviderToken: 'token-2', registrationId: 'reg-2' };
      },
    };
    const { world, report } = await setup(undefined, { secrets: rotated });

    // Act
    const genuine = await report(delivered, { token: 'token-2' });
    const forged = await report(delivered, { token: 'token-of-someone-else' });

    // Assess
    expect([genuine.statusCode, forged.statusCode]).toEqual([200, 403]);
    expect(freshReads).toEqual(['default', 'default']);
    expect((await world.messages.get('default', MESSAGE_ID))?.status).toBe('delivered');
  });

  it('keeps delivered when a late "sent" arrives, and answers 404 for a signed report of an unknown message', async () => {
    // Prepare
    const { world, report } = await setup(undefined, { secrets: held });
    await report(delivered);

    // Act
    const late = await report({ ...delivered, MessageStatus: 'sent' });
    const unknown = await report(delivered, { messageId: 'nope.CLIENT.CREATE' });

    // Assess
    expect(late.statusCode).toBe(200);
    expect((await world.messages.get('default', MESSAGE_ID))?.status).toBe('delivered');
    expect(unknown.statusCode).toBe(404);
    expect(world.messages.all()).toHaveLength(1);
  });
});
