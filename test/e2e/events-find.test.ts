/**
 * "Did client 42 get the SMS?" end to end: hooks into the local server, SMS through the real twilio SDK to a fake
 * Twilio that fails once, then `events find` (by client id, by phone), `events trace` and the tenant API's search
 * answer it. Finally every stored item and every log line of the run is searched for the client's number in any
 * common format: the number is stored sealed and hashed, never in the clear.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { runCli } from '../../lambdas/cli/program';
import type { EventTrace, findEvents } from '../../lambdas/core/event-search';
import { createLocalDocumentClient } from '../../lambdas/wiring/stores';
import { FaultHarness, TENANT_ID } from '../helpers/fault-harness';
import { send } from '../helpers/receiver';

type Found = Awaited<ReturnType<typeof findEvents>>;

const CLIENT_ID = 42;
const LOAN_ID = 7001;
/** How MifosX stores it (country code, no `+`), and every other way it may be written. */
const STORED_NUMBER = '254712000042';
const NUMBER_FORMS = ['+254712000042', '254712000042', '0712000042', '712000042', '+254 712 000 042', '0712 000042'];

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json<T>(): T;
}

let h: FaultHarness;
let eventId: string;
let repaymentId: string;

async function cli(args: string[], options: { stderrTty?: boolean } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (text: string) => (stdout += text), isTTY: false },
    stderr: { write: (text: string) => (stderr += text), isTTY: options.stderrTty ?? false },
    env: {},
  };
  const code = await runCli(['--local', '--data-dir', h.receiver.dataDir, ...args], { io });
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}

function api(pathAndQuery: string, key: string) {
  return send(h.url, { method: 'GET', path: pathAndQuery, headers: { 'X-Fineract-API-Key': key }, body: '' });
}

beforeAll(async () => {
  h = await FaultHarness.start();
  // Prepare: the first send fails with a Twilio 500, the retry is accepted.
  h.twilio.failNext(1, { status: 500, route: 'send' });
  const created = await h.postEvent(h.clientCreate(CLIENT_ID, STORED_NUMBER));
  eventId = created.eventId!;
  await h.waitForStatus(eventId, 'sent');
  const repayment = await h.postEvent(h.loanRepayment(LOAN_ID, CLIENT_ID, STORED_NUMBER));
  repaymentId = repayment.eventId!;
  await h.waitAllFinal();
  // Twilio reports the first SMS delivered (a signed status callback, as Twilio posts it).
  const [message] = await h.messages(eventId);
  const url = `${h.url}/twilio/status/${TENANT_ID}/${encodeURIComponent(message!.messageId)}`;
  const report = { MessageSid: message!.sid!, MessageStatus: 'delivered', AccountSid: h.accountSid };
  const answer = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': getExpectedTwilioSignature(h.authToken, url, report),
    },
    body: new URLSearchParams(report).toString(),
  });
  expect(answer.status).toBe(200);
}, 60_000);

afterAll(async () => {
  await FaultHarness.settleAndStop(h);
});

describe('events find', () => {
  it('finds both events of client 42, newest first, each with its SMS (masked number, SID, delivery status)', async () => {
    // Act
    const run = await cli(['--json', 'events', 'find', TENANT_ID, '--client-id', String(CLIENT_ID)]);

    // Assess
    expect(run.code).toBe(0);
    const found = run.json<Found>();
    expect(found.events.map((e) => e.eventId)).toEqual([repaymentId, eventId]);
    const [repayment, created] = found.events;
    expect(created).toMatchObject({ entity: 'CLIENT', action: 'CREATE', status: 'sent', ids: { clientId: '42' } });
    expect(created!.deliveries).toEqual([
      expect.objectContaining({
        channel: 'sms',
        to: '+254*******42',
        sid: expect.stringMatching(/^SM/),
        status: 'delivered',
      }),
    ]);
    expect(repayment).toMatchObject({ entity: 'LOAN', action: 'REPAYMENT', ids: { clientId: '42', loanId: '7001' } });
    expect(found.nextCursor).toBeNull();
  });

  it('finds by phone number, written with or without the +, and pages with the cursor', async () => {
    // Act
    const withPlus = await cli(['--json', 'events', 'find', TENANT_ID, '--phone', '+254712000042', '--limit', '1']);
    const next = await cli([
      '--json',
      'events',
      'find',
      TENANT_ID,
      '--phone',
      STORED_NUMBER,
      '--limit',
      '1',
      '--cursor',
      withPlus.json<Found>().nextCursor ?? '',
    ]);
    const other = await cli(['--json', 'events', 'find', TENANT_ID, '--phone', '+254712000043']);

    // Assess
    expect(withPlus.code).toBe(0);
    expect(withPlus.json<Found>().events.map((e) => e.eventId)).toEqual([repaymentId]);
    expect(next.json<Found>().events.map((e) => e.eventId)).toEqual([eventId]);
    expect(other.json<Found>().events).toEqual([]);
  });

  it('narrows by loan id, entity and action, and prints a table without --json', async () => {
    // Act
    const byLoan = await cli(['--json', 'events', 'find', TENANT_ID, '--loan-id', String(LOAN_ID)]);
    const byAction = await cli(['--json', 'events', 'find', TENANT_ID, '--client-id', '42', '--entity', 'client']);
    const table = await cli(['events', 'find', TENANT_ID, '--client-id', '42', '--since', '1h']);

    // Assess
    expect(byLoan.json<Found>().events.map((e) => e.eventId)).toEqual([repaymentId]);
    expect(byAction.json<Found>().events.map((e) => e.eventId)).toEqual([eventId]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('CLIENT.CREATE');
    expect(table.stdout).toContain('+254*******42');
    expect(table.stdout).not.toContain(STORED_NUMBER);
  });

  it.each([
    ['no id and no phone', ['events', 'find', TENANT_ID]],
    ['a window that is not a duration', ['events', 'find', TENANT_ID, '--client-id', '42', '--since', 'forever']],
    ['a phone that is not a number', ['events', 'find', TENANT_ID, '--phone', 'call-me']],
    ['an id with spaces', ['events', 'find', TENANT_ID, '--client-id', '4 2']],
    ['a limit above 100', ['events', 'find', TENANT_ID, '--client-id', '42', '--limit', '101']],
    ['a trace without its event id', ['events', 'trace', TENANT_ID]],
  ])('exits 2 for %s, printing nothing on stdout', async (_name, args) => {
    // Act
    const run = await cli(args);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).not.toBe('');
  });
});

describe('--help', () => {
  it.each([['find'], ['trace']])('explains events %s and exits 0', async (command) => {
    // Act
    const run = await cli(['events', command, '--help']);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: cli events/);
  });
});

describe('events trace', () => {
  it('tells the story of the event that was retried, then sent and delivered', async () => {
    // Act
    const run = await cli(['--json', 'events', 'trace', TENANT_ID, eventId]);

    // Assess
    expect(run.code).toBe(0);
    const trace = run.json<NonNullable<EventTrace>>();
    expect(trace).toMatchObject({
      eventId,
      event: 'CLIENT.CREATE',
      status: 'sent',
      attempts: 2,
      received: { hook: 'SMS Bridge', source: 'fineract', senderVersion: 'Fineract ≥ 1.5 (envelope body)' },
      ids: { clientId: '42' },
    });
    // Two attempts: the first ended `retrying` on the Twilio 500, the second `sent` (a slow machine may let the
    // queue hand out a second copy while the first still runs: the order of the middle entries may vary).
    expect(trace.history.filter((s) => s.status === 'processing').map((s) => s.attempt)).toEqual([1, 2]);
    expect(trace.history.find((s) => s.status === 'retrying')?.error).toMatch(/Twilio/);
    expect(trace.history.at(-1)).toMatchObject({ attempt: 2, status: 'sent', error: null });
    const [sms] = trace.messages;
    expect(sms).toMatchObject({
      to: '+254*******42',
      body: 'Hello Jane Doe, welcome at Mifos X!',
      sid: expect.stringMatching(/^SM/),
      status: 'delivered',
    });
    expect(sms!.providerHistory.map((p) => p.status)).toEqual(['queued', 'delivered']);
    expect(trace.forwards).toEqual([]);
  });

  it('prints the attempts and the SMS for people, and fails (1) for an unknown event', async () => {
    // Act
    const shown = await cli(['events', 'trace', TENANT_ID, eventId]);
    const missing = await cli(['events', 'trace', TENANT_ID, 'no-such-event']);

    // Assess
    expect(shown.stdout).toContain('Attempts');
    expect(shown.stdout).toContain('retrying');
    expect(shown.stdout).toContain('Twilio SID');
    expect(missing.code).toBe(1);
  });
});

describe('GET /tenants/{tenantId}/events', () => {
  it('answers the tenant admin key, refuses an ingest key (403) and another tenant’s key (401)', async () => {
    // Prepare
    const other = (await cli(['--json', 'tenants', 'create', 'branch-9'])).json<{
      ingestKey: { key: string };
      adminKey: { key: string };
    }>();

    // Act
    const own = await api(`/tenants/${TENANT_ID}/events?clientId=42&since=1d`, h.apiKey);
    const byPhone = await api(`/tenants/${TENANT_ID}/events?phone=%2B254712000042`, h.apiKey);
    const trace = await api(`/tenants/${TENANT_ID}/events/${eventId}/trace`, h.apiKey);
    const ingestOnly = await api('/tenants/branch-9/events?clientId=42', other.ingestKey.key);
    const otherTenant = await api(`/tenants/${TENANT_ID}/events?clientId=42`, other.adminKey.key);

    // Assess
    expect(own.status).toBe(200);
    expect((own.body as Found).events.map((e) => e.eventId)).toEqual([repaymentId, eventId]);
    expect((byPhone.body as Found).events).toHaveLength(2);
    expect(trace.status).toBe(200);
    expect(trace.text).not.toContain(STORED_NUMBER);
    expect(ingestOnly.status).toBe(403);
    expect(otherTenant.status).toBe(401);
  });

  it.each([
    ['no search parameter', ''],
    ['a bad window', '?clientId=42&since=yesterday'],
    ['an unknown parameter', '?clientId=42&mobile=1'],
    ['a forged cursor', '?clientId=42&cursor=bm90LWEtY3Vyc29y'],
  ])('answers a JSON 400 for %s', async (_name, query) => {
    // Act
    const answer = await api(`/tenants/${TENANT_ID}/events${query}`, h.apiKey);

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
  });
});

describe('progress bar', () => {
  it('shows one on a terminal for resend, and none with --json', async () => {
    // Act
    const tty = await cli(['events', 'resend', TENANT_ID, '--status', 'failed'], { stderrTty: true });
    const json = await cli(['--json', 'events', 'resend', TENANT_ID, '--status', 'failed'], { stderrTty: true });

    // Assess
    expect(tty.code).toBe(0);
    expect(tty.stderr).toContain('Resending');
    expect(json.code).toBe(0);
    expect(json.stderr).not.toContain('Resending');
    expect(json.json()).toMatchObject({ replayed: 0 });
  });
});

describe('no plaintext phone number at rest or in the logs', () => {
  it('finds the number in no stored item and no log line, in any common format', async () => {
    // Prepare
    const doc = createLocalDocumentClient(h.receiver.receiver.db.endpoint);
    const items: unknown[] = [];
    for (const table of [h.receiver.receiver.settings.tenantsTable, h.receiver.receiver.settings.eventsTable]) {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
    }
    doc.destroy();
    const logLines = h.receiver.logger.lines;
    const logFiles = readdirSync(h.receiver.dataDir)
      .filter((name) => name.endsWith('.log'))
      .map((name) => readFileSync(path.join(h.receiver.dataDir, name), 'utf8'));
    const texts = [
      ...items.map((item) =>
        JSON.stringify(item, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v)),
      ),
      ...logLines,
      ...logFiles,
    ];

    const leaking = (text: string) =>
      NUMBER_FORMS.some((form) => text.includes(form) || text.replace(/[\s-]/g, '').includes(form.replace(/\s/g, '')));

    // Act
    const leaks = texts.filter(leaking);

    // Assess
    // Control: the check does see the number as MifosX sends it, and the flow did carry it.
    expect(leaking(h.clientCreate(CLIENT_ID, STORED_NUMBER).body)).toBe(true);
    expect(h.sentTo('+254712000042')).toHaveLength(2);
    expect(items.length).toBeGreaterThan(5);
    expect(logLines.length).toBeGreaterThan(5);
    expect(leaks).toEqual([]);
  });
});
