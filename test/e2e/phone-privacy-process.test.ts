/**
 * The real `npm start` entry (bin/local.ts under tsx) in its own process, sending through the real twilio SDK to a
 * fake Twilio, every log level on: after an SMS flow (registration, a client-created envelope with the client's
 * number, the send), every log line it printed (stdout, stderr, DATA_DIR/server.log) and every item of its tables
 * is searched for that number in any common format. None may hold it: bodies and recipients are sealed at rest,
 * listings and logs mask it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startEmbeddedDynamoDb } from '../../lambdas/adapters/local/embedded-dynamodb';
import { createLocalDocumentClient } from '../../lambdas/wiring/stores';
import { FakeTwilio } from '../helpers/fake-twilio';
import { loadDelivery, withKey } from '../helpers/fixtures';
import { send, waitFor } from '../helpers/receiver';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..', '..');
/** The number in the fixture's body (`request.mobileNo`), and every other way to write it. */
const NUMBER_FORMS = ['+254712345678', '254712345678', '0712345678', '712345678', '+254 712 345 678', '0712 345678'];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of ['TENANTS_TABLE', 'EVENTS_TABLE', 'QUEUE_URL', 'NODE_OPTIONS']) delete env[name];
  return env;
}

function leaking(text: string): boolean {
  const squeezed = text.replace(/[\s-]/g, '');
  return NUMBER_FORMS.some((form) => text.includes(form) || squeezed.includes(form.replace(/\s/g, '')));
}

let child: ChildProcess | undefined;
let dataDir: string;
const twilio = new FakeTwilio();

afterEach(async () => {
  // Only if the test failed before its own SIGTERM: end the process group this test started, by its id.
  if (child?.pid && child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGKILL');
  child = undefined;
  await twilio.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('npm start: no plaintext phone number in any stored item or log line of an SMS flow', async () => {
  // Prepare
  dataDir = mkdtempSync(path.join(tmpdir(), 'fhr-privacy-'));
  const { baseUrl } = await twilio.start();
  const registration = loadDelivery('mifosx-sms-registration');
  const credentials = JSON.parse(registration.body) as { smsProviderAccountId: string; smsProviderToken: string };
  twilio.addAccount(credentials.smsProviderAccountId, credentials.smsProviderToken);
  const port = await freePort();
  const started = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['bin/local.ts'], {
    cwd: ROOT,
    env: childEnv({
      PORT: String(port),
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      TWILIO_API_BASE_URL: baseUrl,
      LOG_LEVEL: 'DEBUG',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child = started;
  let output = '';
  started.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  started.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exited = new Promise<void>((resolve) => started.once('exit', () => resolve()));
  await waitFor(() => output.includes('Template "Web"'), 60_000, `the server to start (output: ${output})`);
  const base = `http://127.0.0.1:${port}`;

  // Act
  const key = (await send(base, registration)).body as string;
  const posted = await send(base, withKey(loadDelivery('fineract-sms-client-create-envelope'), key));
  await waitFor(() => twilio.messages.length === 1, 30_000, 'the SMS to reach the fake Twilio');
  const eventId = (posted.body as { eventId: string }).eventId;
  const listed = await waitFor(
    async () => {
      const answer = await send(base, {
        method: 'GET',
        path: '/modules/sms/events/default',
        headers: { 'X-Mifos-API-Key': key },
        body: '',
      });
      return answer.text.includes('"status":"sent"') ? answer.text : undefined;
    },
    30_000,
    'the event to be sent',
  );
  started.kill('SIGTERM');
  await exited;
  const db = await startEmbeddedDynamoDb({ path: path.join(dataDir, 'dynamodb') });
  const doc = createLocalDocumentClient(db.endpoint);
  const items: Record<string, unknown>[] = [];
  for (const table of ['hook-tenants', 'hook-events']) {
    const page = await doc.send(new ScanCommand({ TableName: table }));
    items.push(...(page.Items ?? []));
  }
  doc.destroy();
  await db.close();
  const serverLog = readFileSync(path.join(dataDir, 'server.log'), 'utf8');
  const binaryAsText = (_key: string, value: unknown) =>
    value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : value;

  // Assess
  expect(twilio.messages[0]).toMatchObject({ to: '+254712345678' });
  expect(items.map((item) => item.sk)).toEqual(expect.arrayContaining(['EVENT', expect.stringMatching(/^M#/)]));
  expect(items.find((item) => item.sk === 'EVENT')?.eventId).toBe(eventId);
  expect(output.split('\n').length).toBeGreaterThan(10);
  expect(leaking(loadDelivery('fineract-sms-client-create-envelope').body)).toBe(true);
  expect(items.filter((item) => leaking(JSON.stringify(item, binaryAsText)))).toEqual([]);
  expect(output.split('\n').filter(leaking)).toEqual([]);
  expect(serverLog.split('\n').filter(leaking)).toEqual([]);
  // The listing shows the body with the number masked.
  expect(leaking(listed)).toBe(false);
});
