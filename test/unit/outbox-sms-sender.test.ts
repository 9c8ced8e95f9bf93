import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type OutboxEntry, OutboxSmsSender } from '../../lambdas/adapters/local/outbox-sms-sender';
import { FakeClock } from '../helpers/fake-clock';
import { DownstreamError } from '../../lambdas/core/errors';

const CREDENTIALS = { accountSid: `AC${'c3'.repeat(16)}`, authToken: 'dry-run-token' };
const TO = '+254712345678';
const BODY = 'Your loan 42 was disbursed.';

describe('OutboxSmsSender', () => {
  let root: string;
  let dataDir: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'outbox-'));
    dataDir = path.join(root, 'nested', 'data');
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('appends one JSON line per message, creating the directory, and calls onMessage', async () => {
    // Prepare
    const seen: OutboxEntry[] = [];
    const clock = new FakeClock('2026-03-01T10:00:00.000Z');
    const outbox = new OutboxSmsSender({ dataDir, onMessage: (e) => seen.push(e), now: () => clock.now() });

    // Act
    const first = await outbox.send(CREDENTIALS, { to: TO, from: '+15005550006', body: BODY });
    const second = await outbox.send(CREDENTIALS, {
      to: TO,
      messagingServiceSid: `MG${'0'.repeat(32)}`,
      body: 'Second',
      statusCallback: 'http://127.0.0.1:3000/twilio/status/t/m',
    });

    // Assess
    expect(first).toEqual({ sid: expect.stringMatching(/^SM[0-9a-f]{32}$/), status: 'queued', numSegments: 1 });
    expect(second.sid).not.toBe(first.sid);
    const lines = (await readFile(path.join(dataDir, 'outbox.jsonl'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toEqual({
      sid: first.sid,
      accountSid: CREDENTIALS.accountSid,
      to: TO,
      from: '+15005550006',
      messagingServiceSid: null,
      body: BODY,
      statusCallback: null,
      at: '2026-03-01T10:00:00.000Z',
    });
    expect(JSON.parse(lines[1]!)).toMatchObject({
      from: null,
      statusCallback: 'http://127.0.0.1:3000/twilio/status/t/m',
    });
    expect(seen.map((e) => e.sid)).toEqual([first.sid, second.sid]);
    expect(JSON.stringify(seen)).not.toContain(CREDENTIALS.authToken);
  });

  it('finds a message by recipient and exact body, newest first, not before `since`', async () => {
    // Prepare
    const clock = new FakeClock('2026-03-01T10:00:00.000Z');
    const outbox = new OutboxSmsSender({ dataDir, now: () => clock.now() });
    const old = await outbox.send(CREDENTIALS, { to: TO, from: '+15005550006', body: BODY });
    clock.set('2026-03-01T12:00:00.000Z');
    const recent = await outbox.send(CREDENTIALS, { to: TO, from: '+15005550006', body: BODY });
    await outbox.send(CREDENTIALS, { to: TO, body: `${BODY} (copy)` });

    // Act
    const found = await outbox.findSent(CREDENTIALS, { to: TO, body: BODY, since: new Date('2026-03-01T11:59:30Z') });
    const foundOld = await outbox.findSent(CREDENTIALS, { to: TO, body: BODY, since: new Date('2026-03-01T09:00Z') });
    const otherBody = await outbox.findSent(CREDENTIALS, { to: TO, body: 'nope', since: new Date(0) });
    const otherFrom = await outbox.findSent(CREDENTIALS, { to: TO, from: '+1999', body: BODY, since: new Date(0) });
    const otherAccount = await outbox.findSent(
      { ...CREDENTIALS, accountSid: `AC${'d4'.repeat(16)}` },
      { to: TO, body: BODY, since: new Date(0) },
    );
    const tooLate = await outbox.findSent(CREDENTIALS, { to: TO, body: BODY, since: new Date('2026-03-01T12:05Z') });

    // Assess
    expect(found?.sid).toBe(recent.sid);
    expect(foundOld?.sid).toBe(recent.sid);
    expect(foundOld?.sid).not.toBe(old.sid);
    expect(otherBody).toBeUndefined();
    expect(otherFrom).toBeUndefined();
    expect(otherAccount).toBeUndefined();
    expect(tooLate).toBeUndefined();
  });

  it('finds nothing when the outbox does not exist yet', async () => {
    // Prepare
    const outbox = new OutboxSmsSender({ dataDir });

    // Act
    const found = await outbox.findSent(CREDENTIALS, { to: TO, body: BODY, since: new Date(0) });

    // Assess
    expect(found).toBeUndefined();
  });

  it('keeps every line when sends run concurrently', async () => {
    // Prepare
    const outbox = new OutboxSmsSender({ dataDir });

    // Act
    await Promise.all(Array.from({ length: 20 }, (_, i) => outbox.send(CREDENTIALS, { to: TO, body: `m${i}` })));

    // Assess
    const entries = await outbox.readAll();
    expect(entries).toHaveLength(20);
    expect(new Set(entries.map((e) => e.body)).size).toBe(20);
  });

  it('verifies only the account SID format', async () => {
    // Prepare
    const outbox = new OutboxSmsSender({ dataDir });

    // Act
    const ok = outbox.verifyAccount(CREDENTIALS);
    const bad = outbox.verifyAccount({ accountSid: 'AC123', authToken: 'x' });

    // Assess
    await expect(ok).resolves.toBeUndefined();
    await expect(bad).rejects.toBeInstanceOf(DownstreamError);
    await expect(bad).rejects.toMatchObject({ retryable: false, credentialsInvalid: true });
  });
});
