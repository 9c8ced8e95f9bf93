/**
 * Load with faults through the local server — not a test; it checks the guarantees at volume and reports.
 *
 *   npx tsx bench/load.ts [--events 10000] [--concurrency 50] [--timeout-seconds 600] [--twilio-500-rate 0.02]
 *                         [--seed 1]
 *
 * Starts the local receiver (in-memory DynamoDB, local queue and worker, the real handlers) with a fake Twilio and
 * a fake Fineract on 127.0.0.1, registers one tenant as MifosX does, then pushes N distinct SMS Bridge events with
 * at most `concurrency` in flight: Fineract client-create envelopes, MifosX loan repayments that need callbacks,
 * `sms/send`, failed commands, entities without a template, numbers that are not numbers, numbers Twilio rejects
 * (21211), and Twilio 500s at a low rate. It waits (bounded) until every acknowledged event is final and prints
 * the count per final status, the SMS at the fake Twilio against the events expected to text, duplicates, and
 * wall time. Exit code 1 when the final total is not N, an SMS went twice, the SMS count is off, or the time
 * bound passed.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { type LocalReceiver, startLocalReceiver } from '../lambdas/wiring/local-receiver';
import type { EventStatus, StoredEvent } from '../lambdas/core/model';
import { isFinal } from '../lambdas/core/lifecycle';
import type { Logger } from '../lambdas/core/ports';
import { FakeFineract } from '../test/helpers/fake-fineract';
import { FakeTwilio } from '../test/helpers/fake-twilio';

const TENANT = 'default';
const FROM = '+15005550006';
const ACCOUNT_SID = `AC${'b7'.repeat(16)}`;
const AUTH_TOKEN = 'c0ffee00c0ffee00c0ffee00c0ffee00';

interface Options {
  events: number;
  concurrency: number;
  timeoutSeconds: number;
  twilio500Rate: number;
  seed: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { events: 10_000, concurrency: 50, timeoutSeconds: 600, twilio500Rate: 0.02, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2);
    const value = inline ?? argv[++i];
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a non-negative number, got "${value}"`);
    if (flag === '--events') options.events = Math.floor(n);
    else if (flag === '--concurrency') options.concurrency = Math.max(1, Math.floor(n));
    else if (flag === '--timeout-seconds') options.timeoutSeconds = n;
    else if (flag === '--twilio-500-rate') options.twilio500Rate = Math.min(n, 0.5);
    else if (flag === '--seed') options.seed = Math.floor(n);
    else throw new Error(`unknown option ${flag}`);
  }
  return options;
}

/** mulberry32: the same mix for the same seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Counts log lines instead of printing thousands of them; keeps the first few errors. */
class QuietLogger implements Logger {
  readonly counts = { debug: 0, info: 0, warn: 0, error: 0 };
  readonly firstErrors: string[] = [];
  debug() {
    this.counts.debug++;
  }
  info() {
    this.counts.info++;
  }
  warn() {
    this.counts.warn++;
  }
  error(message: string, extra?: Record<string, unknown>) {
    this.counts.error++;
    if (this.firstErrors.length < 5) this.firstErrors.push(`${message} ${JSON.stringify(extra ?? {})}`);
  }
}

type Kind =
  | 'client-create'
  | 'loan-repayment'
  | 'sms-send'
  | 'failed-command'
  | 'unknown-entity'
  | 'bad-number'
  | 'twilio-rejects';

interface PlannedEvent {
  kind: Kind;
  expect: EventStatus;
  headers: Record<string, string>;
  body: string;
  to?: string;
}

/** A distinct Kenyan mobile number per event: a duplicate SMS shows up as two messages to one number. */
const mobile = (i: number) => `+2547${String(10_000_000 + i).slice(-8)}`;

function plan(i: number, kind: Kind, apiKey: string, fineract: FakeFineract): PlannedEvent {
  const mifosx = (entity: string, action: string) => ({
    'X-Mifos-Entity': entity,
    'X-Mifos-Action': action,
    'X-Mifos-Platform-TenantId': TENANT,
    'X-Mifos-API-Key': apiKey,
    'Content-Type': 'application/json; charset=UTF-8',
  });
  const fineractHeaders = (entity: string, action: string) => ({
    'X-Fineract-Entity': entity,
    'X-Fineract-Action': action,
    'Fineract-Platform-TenantId': TENANT,
    'X-Fineract-API-Key': apiKey,
    'Content-Type': 'application/json; charset=UTF-8',
  });
  const to = mobile(i);
  const timestamp = new Date(Date.UTC(2024, 9, 24, 9, 0, 0) + i * 1000).toISOString();
  switch (kind) {
    case 'client-create': {
      const clientId = 100_000 + i;
      return {
        kind,
        expect: 'sent',
        to,
        headers: fineractHeaders('CLIENT', 'CREATE'),
        body: JSON.stringify({
          entityName: 'CLIENT',
          actionName: 'CREATE',
          createdBy: 1,
          createdByName: 'mifos',
          request: { officeId: 1.0, firstname: 'Client', lastname: String(i), mobileNo: to.slice(1), locale: 'en' },
          clientId,
          officeId: 1,
          response: { clientId, resourceId: clientId, commandId: 1_000_000 + i },
          timestamp,
        }),
      };
    }
    case 'loan-repayment': {
      const clientId = 200_000 + i;
      const loanId = 300_000 + i;
      fineract.addClient({ id: clientId, displayName: `Borrower ${i}`, mobileNo: to.slice(1) });
      fineract.addLoan({ id: loanId, clientId, accountNo: String(loanId).padStart(9, '0') });
      return {
        kind,
        expect: 'sent',
        to,
        headers: mifosx('LOAN', 'REPAYMENT'),
        body: JSON.stringify({
          officeId: 1,
          clientId,
          loanId,
          resourceId: 400_000 + i,
          changes: { transactionDate: '15 October 2015', transactionAmount: String(100 + (i % 900)), locale: 'en' },
        }),
      };
    }
    case 'sms-send':
      return {
        kind,
        expect: 'sent',
        to,
        headers: mifosx('sms', 'send'),
        body: JSON.stringify({ mobileNo: to.slice(1), message: `Dear client ${i}, your payment was received.` }),
      };
    case 'twilio-rejects':
      return {
        kind,
        expect: 'invalid-recipient',
        to,
        headers: mifosx('sms', 'send'),
        body: JSON.stringify({ mobileNo: to.slice(1), message: `Message ${i} to a landline.` }),
      };
    case 'bad-number':
      return {
        kind,
        expect: 'invalid-recipient',
        headers: mifosx('sms', 'send'),
        body: JSON.stringify({ mobileNo: `n/a ${i}`, message: `Message ${i} to nobody.` }),
      };
    case 'failed-command':
      return {
        kind,
        expect: 'failed-command',
        headers: fineractHeaders('LOAN', 'REPAYMENT'),
        body: JSON.stringify({
          entityName: 'LOAN',
          actionName: 'REPAYMENT',
          createdBy: 1,
          request: { transactionAmount: 500.0, transactionDate: '24 October 2024', locale: 'en' },
          clientId: 500_000 + i,
          officeId: 1,
          loanId: 600_000 + i,
          timestamp,
        }),
      };
    case 'unknown-entity':
      return {
        kind,
        expect: 'ignored',
        headers: mifosx('CALENDAR', 'CREATE'),
        body: JSON.stringify({ officeId: 1, resourceId: 700_000 + i, changes: { title: `Meeting ${i}` } }),
      };
  }
}

function pickKind(r: number): Kind {
  if (r < 0.3) return 'client-create';
  if (r < 0.55) return 'loan-repayment';
  if (r < 0.8) return 'sms-send';
  if (r < 0.85) return 'failed-command';
  if (r < 0.9) return 'unknown-entity';
  if (r < 0.95) return 'bad-number';
  return 'twilio-rejects';
}

async function register(url: string, fineract: FakeFineract): Promise<string> {
  const response = await fetch(`${url}/modules/sms/configuration`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json; charset=UTF-8' },
    body: JSON.stringify({
      phoneNo: FROM,
      smsProvider: 'twilio',
      smsProviderAccountId: ACCOUNT_SID,
      smsProviderToken: AUTH_TOKEN,
      tenantId: TENANT,
      mifosToken: fineract.token,
      endpoint: fineract.apiBase,
    }),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`registration failed: ${response.status} ${text}`);
  return JSON.parse(text) as string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function pool<T>(items: readonly T[], concurrency: number, run: (item: T, index: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        await run(items[index]!, index);
      }
    }),
  );
}

// -----------------------------------------------------------------------------------------------------------------
// Two processes, so the receiver has a core to itself: the main process runs the local receiver and checks the
// store; a child plays MifosX/Fineract (the load, the fake Fineract) and Twilio. They talk over the IPC channel.

type ToSender = { type: 'start'; url: string } | { type: 'report' } | { type: 'stop' };
type FromSender =
  | { type: 'ready'; twilioBaseUrl: string }
  | { type: 'progress'; pushed: number; sms: number }
  | {
      type: 'pushed';
      acknowledged: [eventId: string, kind: Kind, expect: EventStatus][];
      answers: [string, number][];
      pushSeconds: number;
    }
  | { type: 'twilio'; report: TwilioReport }
  | { type: 'failed'; error: string };

interface TwilioReport {
  sms: number;
  duplicates: number;
  sends: number;
  injected500: number;
  rejectedNumbers: number;
  lookups: number;
  fineractCalls: number;
}

const SENDER_ROLE = '--role=sender';

/** The child: fake Twilio + fake Fineract + the hook sender. */
async function sender(options: Options): Promise<void> {
  const send = (message: FromSender) => process.send?.(message);
  // Never outlive the main process.
  process.on('disconnect', () => process.exit(0));
  const random = prng(options.seed);
  const twilio = new FakeTwilio();
  const { baseUrl } = await twilio.start();
  twilio.addAccount(ACCOUNT_SID, AUTH_TOKEN, 'Load test');
  const fineract = await FakeFineract.start({ tenants: [TENANT] });
  const stop = async () => {
    await twilio.stop();
    await fineract.stop();
    process.exit(0);
  };

  let injected500 = 0;
  let rejected = new Set<string>();
  process.on('message', (message: ToSender) => {
    if (message.type === 'stop') void stop();
    else if (message.type === 'report') {
      const perText = new Map<string, number>();
      for (const m of twilio.messages)
        perText.set(`${m.to}\u0000${m.body}`, (perText.get(`${m.to}\u0000${m.body}`) ?? 0) + 1);
      send({
        type: 'twilio',
        report: {
          sms: twilio.messages.length,
          duplicates: [...perText.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0),
          sends: twilio.requests.filter((r) => r.route === 'send').length,
          injected500,
          rejectedNumbers: rejected.size,
          lookups: twilio.requests.filter((r) => r.route === 'list').length,
          fineractCalls: fineract.requests.length,
        },
      });
    } else if (message.type === 'start') {
      void push(message.url).catch((error: unknown) => send({ type: 'failed', error: String(error) }));
    }
  });
  send({ type: 'ready', twilioBaseUrl: baseUrl });

  async function push(url: string): Promise<void> {
    const apiKey = await register(url, fineract);
    const planned = Array.from({ length: options.events }, (_, i) => plan(i, pickKind(random()), apiKey, fineract));
    // Faults at Twilio: numbers it rejects (21211), and 500s at a low rate for any send.
    rejected = new Set(planned.filter((p) => p.kind === 'twilio-rejects').map((p) => p.to!));
    twilio.failWhen((r) => r.route === 'send' && rejected.has(r.form.To ?? ''), { status: 400, code: 21211 });
    twilio.failWhen((r) => r.route === 'send' && random() < options.twilio500Rate && ++injected500 > 0, {
      status: 500,
      code: 20500,
    });

    const deadline = Date.now() + options.timeoutSeconds * 1000;
    const acknowledged: [string, Kind, EventStatus][] = [];
    const answers = new Map<string, number>();
    let pushed = 0;
    const started = Date.now();
    // Runs until the main process stops this child: it shows the SMS count while the receiver drains its queue.
    setInterval(() => send({ type: 'progress', pushed, sms: twilio.messages.length }), 5000);
    await pool(planned, options.concurrency, async (event) => {
      if (Date.now() > deadline) return;
      let label: string;
      try {
        const response = await fetch(`${url}/modules/sms/`, {
          method: 'POST',
          headers: event.headers,
          body: event.body,
        });
        const text = await response.text();
        label = String(response.status);
        if (response.ok) {
          const { eventId } = JSON.parse(text) as { eventId?: string };
          if (eventId) acknowledged.push([eventId, event.kind, event.expect]);
        }
      } catch (error) {
        label = `network: ${(error as Error).message}`;
      }
      answers.set(label, (answers.get(label) ?? 0) + 1);
      pushed++;
    });
    send({ type: 'pushed', acknowledged, answers: [...answers], pushSeconds: (Date.now() - started) / 1000 });
  }
}

/** Resolves with the next message of `type` from the child, or rejects when it fails, exits or the deadline passes. */
function nextMessage<T extends FromSender['type']>(
  child: ChildProcess,
  type: T,
  deadline: number,
  onOther: (message: FromSender) => void = () => undefined,
): Promise<Extract<FromSender, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`no "${type}" from the sender before the time bound`)),
      deadline - Date.now(),
    );
    const onMessage = (message: FromSender) => {
      if (message.type === type) done(undefined, message as Extract<FromSender, { type: T }>);
      else if (message.type === 'failed') done(new Error(`sender failed: ${message.error}`));
      else onOther(message);
    };
    const onExit = (code: number | null) => done(new Error(`sender exited (${code}) before "${type}"`));
    const done = (error?: Error, message?: Extract<FromSender, { type: T }>) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(message!);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function main(): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const args = process.argv.slice(2);
  const options = parseArgs(args);
  const started = Date.now();
  const deadline = started + options.timeoutSeconds * 1000;
  const logger = new QuietLogger();

  // The child runs this file with the same loader (tsx) and options.
  const child = fork(__filename, [SENDER_ROLE, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let receiver: LocalReceiver | undefined;
  try {
    const { twilioBaseUrl } = await nextMessage(child, 'ready', deadline);
    receiver = await startLocalReceiver({
      port: 0,
      host: '127.0.0.1',
      logger,
      sweepIntervalSeconds: 15,
      env: {
        TWILIO_API_BASE_URL: twilioBaseUrl,
        RETRY_SCHEDULE_SECONDS: '0.2,0.5,1,2',
        LOCAL_QUEUE_VISIBILITY_SECONDS: '60',
        LOCAL_WORKER_CONCURRENCY: '4',
        SWEEP_GRACE_SECONDS: '300',
        TWILIO_TIMEOUT_MS: '10000',
        FINERACT_TIMEOUT_MS: '10000',
      },
    });
    const live = receiver;
    let sms = 0;
    let pushedSoFar = 0;
    const progress = setInterval(() => {
      const q = live.queue.stats();
      process.stderr.write(
        `  ${((Date.now() - started) / 1000).toFixed(0)} s: pushed ${pushedSoFar}/${options.events}, SMS at Twilio ${sms}, queue ${q.visible} visible / ${q.inFlightOrDelayed} in flight\n`,
      );
    }, 5000);
    progress.unref();
    const onProgress = (message: FromSender) => {
      if (message.type === 'progress') {
        pushedSoFar = message.pushed;
        sms = message.sms;
      }
    };
    child.on('message', onProgress);

    // Push (in the child)
    child.send({ type: 'start', url: receiver.url } satisfies ToSender);
    const pushed = await nextMessage(child, 'pushed', deadline);
    pushedSoFar = pushed.acknowledged.length;
    const acknowledged = new Map(pushed.acknowledged.map(([eventId, kind, expect]) => [eventId, { kind, expect }]));

    // Wait until every acknowledged event is final: the queue drains, then the tenant's events are read page by
    // page; anything still in flight (a lost enqueue) gets a sweep and another round.
    const store = receiver.deps.admin.events;
    const finals = new Map<string, StoredEvent>();
    let open = acknowledged.size;
    while (open > 0 && Date.now() < deadline) {
      for (;;) {
        const q = receiver.queue.stats();
        if (q.visible + q.inFlightOrDelayed === 0 || Date.now() > deadline) break;
        await sleep(250);
      }
      let cursor: string | undefined;
      do {
        const page = await store.listByTenant(TENANT, { limit: 100, cursor });
        for (const event of page.items) if (isFinal(event.status)) finals.set(event.eventId, event);
        cursor = page.nextCursor;
      } while (cursor);
      open = [...acknowledged.keys()].filter((id) => !finals.has(id)).length;
      if (open > 0) {
        await receiver.sweep();
        await sleep(500);
      }
    }
    clearInterval(progress);
    child.off('message', onProgress);
    child.send({ type: 'report' } satisfies ToSender);
    const { report } = await nextMessage(child, 'twilio', Date.now() + 30_000);
    const wallSeconds = (Date.now() - started) / 1000;

    // Report
    const byStatus = new Map<string, number>();
    let total = 0;
    let unexpected = 0;
    const unexpectedExamples: string[] = [];
    for (const [eventId, planned] of acknowledged) {
      const event = finals.get(eventId);
      if (!event) continue;
      total++;
      byStatus.set(event.status, (byStatus.get(event.status) ?? 0) + 1);
      if (event.status !== planned.expect) {
        unexpected++;
        if (unexpectedExamples.length < 5)
          unexpectedExamples.push(`${planned.kind}: ${event.status} (${event.lastError ?? ''})`);
      }
    }
    const expectedTexts = [...acknowledged.values()].filter((p) => p.expect === 'sent').length;
    const lines = [
      '',
      `Load: ${options.events} events, ${options.concurrency} in flight, seed ${options.seed}, Twilio 500 rate ${options.twilio500Rate}`,
      `  answers            ${pushed.answers.map(([k, v]) => `${k}: ${v}`).join(', ')}`,
      `  push               ${pushed.pushSeconds.toFixed(1)} s (${(options.events / Math.max(pushed.pushSeconds, 0.001)).toFixed(0)} events/s answered)`,
      '  final states',
      ...[...byStatus].sort((a, b) => b[1] - a[1]).map(([status, n]) => `    ${status.padEnd(18)} ${n}`),
      `  total final        ${total} of ${options.events}${total === options.events ? '' : '  ← MISMATCH'}`,
      `  still in flight    ${acknowledged.size - total}`,
      `  SMS at Twilio      ${report.sms} (events expected to text: ${expectedTexts})${report.sms === expectedTexts ? '' : '  ← MISMATCH'}`,
      `  duplicates sent    ${report.duplicates}`,
      `  Twilio requests    ${report.sends} sends (${report.injected500} answered 500, ${report.rejectedNumbers} numbers rejected with 21211), ${report.lookups} lookups`,
      `  Fineract calls     ${report.fineractCalls}`,
      `  status ≠ expected  ${unexpected}${unexpectedExamples.length ? ` e.g. ${unexpectedExamples.join('; ')}` : ''}`,
      `  receiver log lines info ${logger.counts.info}, warn ${logger.counts.warn}, error ${logger.counts.error}`,
      ...logger.firstErrors.map((e) => `    error: ${e.slice(0, 300)}`),
      `  wall time          ${wallSeconds.toFixed(1)} s`,
      '',
    ];
    process.stdout.write(lines.join('\n'));
    const ok = total === options.events && report.duplicates === 0 && report.sms === expectedTexts && unexpected === 0;
    if (!ok) process.stdout.write('FAILED: every event must be acknowledged and final, each text sent exactly once.\n');
    return ok ? 0 : 1;
  } finally {
    const secretsFile = (receiver?.deps.register.secrets as { filePath?: string } | undefined)?.filePath;
    if (child.connected) child.send({ type: 'stop' } satisfies ToSender);
    await receiver?.close();
    if (secretsFile) rmSync(path.dirname(secretsFile), { recursive: true, force: true });
    await Promise.race([new Promise((resolve) => child.once('exit', resolve)), sleep(5000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

const isSender = process.argv.includes(SENDER_ROLE);
const run = isSender
  ? sender(parseArgs(process.argv.slice(2).filter((a) => a !== SENDER_ROLE))).then(() => undefined)
  : main();
run.then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (error) => {
    process.stderr.write(`load failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
