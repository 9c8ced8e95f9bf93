/**
 * `kill -9` of the real `npm start` process (bin/local.ts under tsx) while its worker drains a burst, then a restart on the
 * same DATA_DIR: every event that was acknowledged before the kill ends final and sent, and the fake Twilio holds
 * exactly one SMS per event. This is the README's "nothing accepted is ever lost, no client gets the same SMS twice"
 * across a crash of the whole process, whatever state the embedded engine's items and indexes were left in.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FakeTwilio } from '../helpers/fake-twilio';
import { type Delivery, loadDelivery, withKey } from '../helpers/fixtures';
import { send, waitFor } from '../helpers/receiver';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '..', '..');
const BURST = 40;
const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = '0123456789abcdef0123456789abcdef';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Server {
  child: ChildProcess;
  exited: Promise<unknown>;
}

/** `npm start` as its own process group, so a SIGKILL ends tsx and the server it runs together. */
async function startServer(port: number, dataDir: string, twilioBaseUrl: string): Promise<Server> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LOG_LEVEL: 'WARN',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    TWILIO_API_BASE_URL: twilioBaseUrl,
    SWEEP_GRACE_SECONDS: '1',
    SWEEP_INTERVAL_SECONDS: '1',
    RETRY_SCHEDULE_SECONDS: '1,1,2,2,4',
    SEND_LEASE_SECONDS: '2',
  };
  for (const name of ['TENANTS_TABLE', 'EVENTS_TABLE', 'QUEUE_URL', 'NODE_OPTIONS']) delete env[name];
  const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['bin/local.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.resume();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await waitFor(() => stdout.includes('Template "Web"'), 60_000, 'the local server to start');
  return { child, exited };
}

function smsSend(key: string, n: number): Delivery {
  const fixture = withKey(loadDelivery('mifosx-sms-send-ugd'), key);
  // A distinct text per event: body-hash dedup must not fold them, and each SMS is recognisable at Twilio.
  return { ...fixture, body: JSON.stringify({ mobileNo: '254712345678', message: `Crash test message ${n}` }) };
}

let server: Server | undefined;
let twilio: FakeTwilio | undefined;
let dataDir = '';

afterEach(async () => {
  if (server?.child.pid && server.child.exitCode === null && server.child.signalCode === null) {
    process.kill(-server.child.pid, 'SIGKILL');
    await server.exited;
  }
  server = undefined;
  await twilio?.stop().catch(() => undefined);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('kill -9 while the worker drains a burst: after a restart every acknowledged event is sent, each exactly once', async () => {
  // Prepare
  dataDir = mkdtempSync(path.join(tmpdir(), 'fhr-crash-'));
  twilio = new FakeTwilio();
  const { baseUrl } = await twilio.start();
  twilio.addAccount(ACCOUNT_SID, AUTH_TOKEN, 'Crash test');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  server = await startServer(port, dataDir, baseUrl);
  const key = (await send(base, loadDelivery('mifosx-sms-registration'))).body as string;

  // Act: the burst, all in flight at once, then a kill -9 while the worker is draining it (some SMS sent, some not).
  const acknowledged: string[] = [];
  await Promise.all(
    Array.from({ length: BURST }, async (_, n) => {
      const answer = await send(base, smsSend(key, n));
      if (answer.status === 200) acknowledged.push(`Crash test message ${n}`);
    }),
  );
  const running = server;
  await waitFor(() => twilio!.messages.length >= BURST / 4, 60_000, 'the worker to be draining the burst');
  process.kill(-running.child.pid!, 'SIGKILL');
  await running.exited;
  server = await startServer(port, dataDir, baseUrl);
  const sentTexts = () => twilio!.messages.map((m) => m.body);
  let events: { status: string; payload: string }[] = [];
  // The closing quote: "message 2" must not match "message 20".
  const statusOf = (text: string) => events.find((e) => e.payload.includes(`${text}"`))?.status;
  await waitFor(
    async () => {
      const listed = await fetch(`${base}/modules/sms/events/default?limit=100`, {
        headers: { 'X-Mifos-API-Key': key },
      });
      events = ((await listed.json()) as { events: { status: string; payload: string }[] }).events;
      return acknowledged.every((text) => statusOf(text) === 'sent');
    },
    90_000,
    'every acknowledged event to be sent after the restart',
  );

  // Assess
  expect(acknowledged).toHaveLength(BURST);
  const counts = new Map<string, number>();
  for (const text of sentTexts()) counts.set(text, (counts.get(text) ?? 0) + 1);
  expect([...counts.values()].filter((count) => count > 1)).toEqual([]);
  expect(acknowledged.filter((text) => sentTexts().filter((sent) => sent === text).length !== 1)).toEqual([]);
});
