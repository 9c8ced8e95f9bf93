import { TwilioSmsSender } from '../../lambdas/adapters/twilio-sms-sender';
import { DownstreamError } from '../../lambdas/core/errors';
import { maskPhone } from '../../lambdas/core/redaction';
import type { TwilioCredentials } from '../../lambdas/core/model';
import { FakeTwilio } from '../helpers/fake-twilio';

const ACCOUNT_SID = `AC${'a1'.repeat(16)}`;
const AUTH_TOKEN = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
const CREDENTIALS: TwilioCredentials = { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN };
const TO = '+254712345678';
const FROM = '+15005550006';
const BODY = 'Dear Jane, your repayment of KES 1,500.00 on loan 000000042 was received.';

async function captureError(promise: Promise<unknown>): Promise<DownstreamError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DownstreamError) return error;
    throw error;
  }
  throw new Error('expected a DownstreamError, the call succeeded');
}

function expectNoSecrets(error: DownstreamError): void {
  const text = `${error.message} ${JSON.stringify(error)}`;
  expect(text).not.toContain(AUTH_TOKEN);
  expect(text).not.toContain(TO);
  expect(text).not.toContain(TO.slice(1));
  expect(text).not.toContain(BODY);
}

describe('TwilioSmsSender against a fake Twilio over HTTP', () => {
  const fake = new FakeTwilio();
  let sender: TwilioSmsSender;

  beforeAll(async () => {
    const { baseUrl } = await fake.start();
    fake.addAccount(ACCOUNT_SID, AUTH_TOKEN, 'Tenant One');
    sender = new TwilioSmsSender({ apiBaseUrl: baseUrl, timeoutMs: 500 });
  });

  afterEach(() => {
    fake.reset();
  });

  afterAll(async () => {
    await fake.stop();
  });

  describe('send', () => {
    it('sends To/From/Body/StatusCallback with Basic auth and returns the SID', async () => {
      // Prepare
      const statusCallback = 'https://hooks.example.org/twilio/status/tenant1/msg-1';

      // Act
      const sent = await sender.send(CREDENTIALS, { to: TO, from: FROM, body: BODY, statusCallback });

      // Assess
      expect(sent).toEqual({ sid: expect.stringMatching(/^SM[0-9a-f]{32}$/), status: 'queued', numSegments: 1 });
      expect(fake.messages).toHaveLength(1);
      expect(fake.messages[0]).toMatchObject({
        sid: sent.sid,
        accountSid: ACCOUNT_SID,
        to: TO,
        from: FROM,
        messagingServiceSid: null,
        body: BODY,
        statusCallback,
      });
      const request = fake.requests[0]!;
      expect(request).toMatchObject({ method: 'POST', route: 'send', username: ACCOUNT_SID, password: AUTH_TOKEN });
      expect(request.headers.authorization).toBe(
        `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`,
      );
      expect(request.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
      expect(request.headers['user-agent']).toMatch(/^twilio-node\/6\.2\.0/);
      expect(request.form).toEqual({ To: TO, From: FROM, Body: BODY, StatusCallback: statusCallback });
    });

    it('sends through a messaging service without From', async () => {
      // Prepare
      const messagingServiceSid = `MG${'0f'.repeat(16)}`;

      // Act
      const sent = await sender.send(CREDENTIALS, { to: TO, messagingServiceSid, body: BODY });

      // Assess
      expect(sent.sid).toMatch(/^SM[0-9a-f]{32}$/);
      expect(fake.requests[0]!.form).toEqual({ To: TO, MessagingServiceSid: messagingServiceSid, Body: BODY });
      expect(fake.messages[0]).toMatchObject({ from: null, messagingServiceSid });
    });

    it('reports the segments of a long UCS-2 body', async () => {
      // Prepare
      const body = 'Habari 😊 '.repeat(10);

      // Act
      const sent = await sender.send(CREDENTIALS, { to: TO, from: FROM, body });

      // Assess
      expect(sent.numSegments).toBe(2);
    });

    it('classifies a 500 as retryable', async () => {
      // Prepare
      fake.failNext(1, { status: 500, code: 20500, message: 'An internal server error has occurred' });

      // Act
      const error = await captureError(sender.send(CREDENTIALS, { to: TO, from: FROM, body: BODY }));

      // Assess
      expect(error).toMatchObject({ service: 'twilio', retryable: true, status: 500, credentialsInvalid: false });
      expect(fake.messages).toHaveLength(0);
      expectNoSecrets(error);
    });

    it('does not retry by itself: 500, 500 then success takes three calls', async () => {
      // Prepare
      fake.failNext(2, { status: 500 });

      // Act
      const first = await captureError(sender.send(CREDENTIALS, { to: TO, from: FROM, body: BODY }));
      const second = await captureError(sender.send(CREDENTIALS, { to: TO, from: FROM, body: BODY }));
      const third = await sender.send(CREDENTIALS, { to: TO, from: FROM, body: BODY });

      // Assess
      expect([first.retryable, second.retryable]).toEqual([true, true]);
      expect(third.status).toBe('queued');
      expect(fake.requests.filter((r) => r.route === 'send')).toHaveLength(3);
      expect(fake.messages).toHaveLength(1);
    });

    it('classifies a 429 as retryable with Retry-After, and the SDK does not auto-retry it', async () => {
      // Prepare
      fake.failNext(1, { status: 429, code: 20429, message: 'Too Many Requests', retryAfter: 7 });

      // Act
      const error = await captureError(sender.send(CREDENTIALS, { to: TO, from: FROM, body: BODY }));

      // Assess
      expect(error).toMatchObject({ retryable: true, status: 429, code: 20429, retryAfterSeconds: 7 });
      expect(fake.requests).toHaveLength(1);
      expectNoSecrets(error);
    });

    it('reads an HTTP-date Retry-After too', async () => {
      // Prepare
      const at = new Date(Date.now() + 30_000).toUTCString();
      fake.failNext(1, { status: 429, retryAfter: at });

      // Act
      const error = await captureError(sender.send(CREDENTIALS, { to: TO, from: FROM, body: BODY }));

      // Assess
      expect(error.retryable).toBe(true);
      expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(25);
      expect(error.retryAfterSeconds).toBeLessThanOrEqual(31);
    });

    it('keeps Retry-After per request when sends run concurrently', async () => {
      // Prepare
      const slowTo = '+254700000001';
      fake.failWhen((r) => r.form.To === slowTo, { status: 429, retryAfter: 42, route: 'send' });

      // Act
      const [limited, ok] = await Promise.allSettled([
        sender.send(CREDENTIALS, { to: slowTo, from: FROM, body: BODY }),
        sender.send(CREDENTIALS, { to: TO, from: FROM, body: BODY }),
      ]);

      // Assess
      expect(limited.status).toBe('rejected');
      expect((limited as PromiseRejectedResult).reason).toMatchObject({ retryable: true, retryAfterSeconds: 42 });
      expect(ok.status).toBe('fulfilled');
    });

    it('marks 20003 as credentials invalid and not retryable', async () => {
      // Prepare
      const wrong: TwilioCredentials = { accountSid: ACCOUNT_SID, authToken: 'not-the-token-0123456789abcdef' };

      // Act
      const error = await captureError(sender.send(wrong, { to: TO, from: FROM, body: BODY }));

      // Assess
      expect(error).toMatchObject({ retryable: false, credentialsInvalid: true, status: 401, code: 20003 });
      expect(error.message).not.toContain(wrong.authToken);
      expect(fake.messages).toHaveLength(0);
    });

    it('rejects a malformed account SID without calling Twilio', async () => {
      // Prepare
      const bad: TwilioCredentials = { accountSid: 'SK123', authToken: AUTH_TOKEN };

      // Act
      const error = await captureError(sender.send(bad, { to: TO, from: FROM, body: BODY }));

      // Assess
      expect(error).toMatchObject({ retryable: false, credentialsInvalid: true });
      expect(fake.requests).toHaveLength(0);
    });

    it('classifies 21211 (invalid To) as permanent with its code, masking the number Twilio echoes', async () => {
      // Prepare
      const invalidTo = '+254712';

      // Act
      const error = await captureError(sender.send(CREDENTIALS, { to: invalidTo, from: FROM, body: BODY }));

      // Assess
      expect(error).toMatchObject({ retryable: false, credentialsInvalid: false, status: 400, code: 21211 });
      expect(error.message).not.toContain(invalidTo);
      expect(error.message).toContain(maskPhone(invalidTo));
    });

    it.each([21614, 21610, 21408, 21606, 21612, 21617, 21608])('classifies %i as permanent', async (code) => {
      // Prepare
      fake.failWhen((r) => r.form.To === TO, { status: 400, code, message: `Rejected: To ${TO} body ${BODY}` });

      // Act
      const error = await captureError(sender.send(CREDENTIALS, { to: TO, from: FROM, body: BODY }));

      // Assess
      expect(error).toMatchObject({ retryable: false, credentialsInvalid: false, status: 400, code });
      expectNoSecrets(error);
    });

    it('times out after Twilio accepted: retryable, the fake recorded it, findSent then finds it', async () => {
      // Prepare
      fake.acceptButHang(3_000);
      const since = new Date();

      // Act
      const error = await captureError(sender.send(CREDENTIALS, { to: TO, from: FROM, body: BODY }));
      const found = await sender.findSent(CREDENTIALS, { to: TO, from: FROM, body: BODY, since });

      // Assess
      expect(error).toMatchObject({ retryable: true, credentialsInvalid: false });
      expect(error.message).toMatch(/no answer within 500 ms/);
      expectNoSecrets(error);
      expect(fake.messages).toHaveLength(1);
      expect(found).toEqual({ sid: fake.messages[0]!.sid, status: 'queued', numSegments: 1 });
    });

    it('classifies a dropped connection after accept as retryable', async () => {
      // Prepare
      fake.acceptThenDrop();

      // Act
      const error = await captureError(sender.send(CREDENTIALS, { to: TO, from: FROM, body: BODY }));

      // Assess
      expect(error).toMatchObject({ retryable: true, code: 'ECONNRESET' });
      expect(fake.messages).toHaveLength(1);
      expectNoSecrets(error);
    });

    it('classifies a refused connection as retryable', async () => {
      // Prepare
      const nowhere = new FakeTwilio();
      const { baseUrl } = await nowhere.start();
      await nowhere.stop();
      const offline = new TwilioSmsSender({ apiBaseUrl: baseUrl, timeoutMs: 500 });

      // Act
      const error = await captureError(offline.send(CREDENTIALS, { to: TO, from: FROM, body: BODY }));

      // Assess
      expect(error).toMatchObject({ retryable: true, code: 'ECONNREFUSED' });
    });
  });

  describe('findSent', () => {
    it('finds a message by exact body and ignores other bodies, recipients and older messages', async () => {
      // Prepare
      const other = await sender.send(CREDENTIALS, { to: TO, from: FROM, body: `${BODY} (reminder)` });
      await sender.send(CREDENTIALS, { to: '+254799999999', from: FROM, body: BODY });
      const target = await sender.send(CREDENTIALS, { to: TO, from: FROM, body: BODY });
      const since = new Date(Date.now() - 5_000);

      // Act
      const found = await sender.findSent(CREDENTIALS, { to: TO, body: BODY, since });
      const missing = await sender.findSent(CREDENTIALS, { to: TO, body: 'something else', since });
      const tooOld = await sender.findSent(CREDENTIALS, { to: TO, body: BODY, since: new Date(Date.now() + 120_000) });

      // Assess
      expect(found?.sid).toBe(target.sid);
      expect(found?.sid).not.toBe(other.sid);
      expect(missing).toBeUndefined();
      expect(tooOld).toBeUndefined();
      const list = fake.requests.filter((r) => r.route === 'list');
      expect(list[0]!.query).toEqual({ To: TO, PageSize: '50' });
    });

    it('filters by From when given and finds messages already marked sent', async () => {
      // Prepare
      const target = await sender.send(CREDENTIALS, { to: TO, from: FROM, body: BODY });
      fake.setStatus(target.sid, 'delivered');
      const since = new Date(Date.now() - 1_000);

      // Act
      const found = await sender.findSent(CREDENTIALS, { to: TO, from: FROM, body: BODY, since });
      const otherSender = await sender.findSent(CREDENTIALS, { to: TO, from: '+15005550009', body: BODY, since });

      // Assess
      expect(found).toEqual({ sid: target.sid, status: 'delivered', numSegments: 1 });
      expect(otherSender).toBeUndefined();
    });

    /** `count` messages to TO with other bodies, the newest created `minutesAgo` before now, `stepMs` apart. */
    function history(count: number, minutesAgo: number, sent = true, stepMs = 1000) {
      const newest = Date.now() - minutesAgo * 60_000;
      return Array.from({ length: count }, (_, i) => {
        const at = new Date(newest - i * stepMs);
        return fake.addMessage({
          accountSid: ACCOUNT_SID,
          to: TO,
          from: FROM,
          body: `Reminder ${i}`,
          at,
          sentAt: sent ? at : null,
        });
      });
    }

    it('pages past the first 50 messages to find the one sent after an interrupted attempt', async () => {
      // Prepare
      const since = new Date(Date.now() - 10 * 60_000);
      const target = fake.addMessage({
        accountSid: ACCOUNT_SID,
        to: TO,
        from: FROM,
        body: BODY,
        at: new Date(Date.now() - 9 * 60_000),
      });
      history(120, 5);

      // Act
      const found = await sender.findSent(CREDENTIALS, { to: TO, body: BODY, since });

      // Assess
      expect(found?.sid).toBe(target.sid);
      const list = fake.requests.filter((r) => r.route === 'list');
      expect(list).toHaveLength(3);
      expect(list[1]!.query).toMatchObject({
        To: TO,
        PageSize: '50',
        Page: '1',
        PageToken: expect.stringMatching(/^PASM/),
      });
      expect(list[2]!.query).toMatchObject({ Page: '2' });
    });

    it('stops paging once the list is older than the attempt, and reports nothing found', async () => {
      // Prepare
      const since = new Date(Date.now() - 10 * 60_000);
      history(70, 2);
      history(300, 30);

      // Act
      const found = await sender.findSent(CREDENTIALS, { to: TO, body: BODY, since });

      // Assess
      expect(found).toBeUndefined();
      expect(fake.requests.filter((r) => r.route === 'list')).toHaveLength(2);
    });

    it('does not take an old queued message for the end of the window when Twilio lists by date_sent', async () => {
      // Prepare
      fake.listOrder = 'date_sent';
      const since = new Date(Date.now() - 10 * 60_000);
      history(30, 60, false);
      history(40, 3);
      const target = fake.addMessage({
        accountSid: ACCOUNT_SID,
        to: TO,
        from: FROM,
        body: BODY,
        at: new Date(Date.now() - 8 * 60_000),
      });
      history(100, 45);

      // Act
      const found = await sender.findSent(CREDENTIALS, { to: TO, body: BODY, since });

      // Assess
      expect(found?.sid).toBe(target.sid);
    });

    it('gives up with a retryable error rather than "not sent" when the history never reaches the attempt', async () => {
      // Prepare
      history(5_001, 0, true, 10);
      const since = new Date(Date.now() - 10 * 60_000);

      // Act
      const error = await captureError(sender.findSent(CREDENTIALS, { to: TO, body: BODY, since }));

      // Assess
      expect(error).toMatchObject({ retryable: true });
      expect(fake.requests.filter((r) => r.route === 'list')).toHaveLength(100);
      expectNoSecrets(error);
    });

    it('classifies list failures like sends', async () => {
      // Prepare
      fake.failNext(1, { status: 503, route: 'list', retryAfter: 3 });

      // Act
      const error = await captureError(sender.findSent(CREDENTIALS, { to: TO, body: BODY, since: new Date() }));

      // Assess
      expect(error).toMatchObject({ retryable: true, status: 503, retryAfterSeconds: 3 });
      expectNoSecrets(error);
    });
  });

  describe('verifyAccount', () => {
    it('resolves for valid credentials', async () => {
      // Prepare
      const credentials = CREDENTIALS;

      // Act
      const result = sender.verifyAccount(credentials);

      // Assess
      await expect(result).resolves.toBeUndefined();
      expect(fake.requests[0]).toMatchObject({
        method: 'GET',
        path: `/2010-04-01/Accounts/${ACCOUNT_SID}.json`,
        username: ACCOUNT_SID,
      });
    });

    it('rejects a wrong token as credentials invalid', async () => {
      // Prepare
      const wrong: TwilioCredentials = { accountSid: ACCOUNT_SID, authToken: 'wrong-token-wrong-token-wrong-t' };

      // Act
      const error = await captureError(sender.verifyAccount(wrong));

      // Assess
      expect(error).toMatchObject({ retryable: false, credentialsInvalid: true, code: 20003 });
      expect(error.message).not.toContain(wrong.authToken);
    });

    it('rejects a suspended account as credentials invalid', async () => {
      // Prepare
      const suspended: TwilioCredentials = { accountSid: `AC${'5e'.repeat(16)}`, authToken: 'suspended-token' };
      fake.addAccount(suspended.accountSid, suspended.authToken, 'Suspended', 'suspended');

      // Act
      const error = await captureError(sender.verifyAccount(suspended));

      // Assess
      expect(error).toMatchObject({ retryable: false, credentialsInvalid: true });
      expect(error.message).toMatch(/suspended/);
    });

    it('treats a 404 account as credentials invalid', async () => {
      // Prepare
      fake.failNext(1, { status: 404, route: 'account' });

      // Act
      const error = await captureError(sender.verifyAccount(CREDENTIALS));

      // Assess
      expect(error).toMatchObject({ retryable: false, credentialsInvalid: true, status: 404 });
    });

    it('treats a 5xx or a network failure as retryable', async () => {
      // Prepare
      fake.failNext(1, { status: 502, route: 'account' });
      fake.failNext(1, { drop: true, route: 'account' });

      // Act
      const serverError = await captureError(sender.verifyAccount(CREDENTIALS));
      const networkError = await captureError(sender.verifyAccount(CREDENTIALS));

      // Assess
      expect(serverError).toMatchObject({ retryable: true, credentialsInvalid: false, status: 502 });
      expect(networkError).toMatchObject({ retryable: true, credentialsInvalid: false });
    });
  });
});
