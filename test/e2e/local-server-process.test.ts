/**
 * The real `npm start` entry (bin/local.ts under tsx) in its own process: it prints the Payload URLs to paste into
 * the hook form, takes a registration and an event, stops cleanly on SIGTERM, and the operator CLI finds the event
 * in the data dir afterwards.
 *
 * The server is started as `npm start` starts it, `tsx bin/local.ts` (node_modules/.bin/tsx), not through `npx`:
 * `npm exec` does not forward SIGTERM to its child when stdio is piped and itself dies of the signal, so its exit
 * status says nothing about the server's shutdown (and the server would be left running).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadDelivery, withKey } from '../helpers/fixtures';
import { send, waitFor } from '../helpers/receiver';

jest.setTimeout(90_000);

const ROOT = path.resolve(__dirname, '..', '..');
const run = promisify(execFile);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Env for the child: no AWS table/queue settings that would point the CLI at AWS, no inherited PORT/DATA_DIR. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'WARN', ...extra };
  for (const name of ['TENANTS_TABLE', 'EVENTS_TABLE', 'QUEUE_URL', 'TWILIO_API_BASE_URL', 'NODE_OPTIONS'])
    delete env[name];
  return env;
}

let child: ChildProcess | undefined;
let dataDir: string;

afterEach(() => {
  // Only if a test failed before its own SIGTERM: end the process group this test started, by its id.
  if (child?.pid && child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGKILL');
  child = undefined;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('npm start entry: prints the Payload URLs, stores an event, exits 0 on SIGTERM, and the event is still there', async () => {
  // Prepare
  dataDir = mkdtempSync(path.join(tmpdir(), 'fhr-proc-'));
  const port = await freePort();
  const started = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['bin/local.ts'], {
    cwd: ROOT,
    env: childEnv({ PORT: String(port), DATA_DIR: dataDir, HOST: '127.0.0.1' }),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so a failed test can end tsx and the server it runs together (see afterEach).
    detached: true,
  });
  child = started;
  let stdout = '';
  let stderr = '';
  started.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  started.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    started.once('exit', (code, signal) => resolve({ code, signal }));
  });
  await waitFor(() => stdout.includes('Template "Web"'), 60_000, `the Payload URLs to be printed (stderr: ${stderr})`);
  const base = `http://127.0.0.1:${port}`;
  const key = (await send(base, loadDelivery('mifosx-sms-registration'))).body as string;
  const fixture = loadDelivery('mifosx-sms-send-ugd');

  // Act
  const posted = await send(base, withKey(fixture, key));
  started.kill('SIGTERM');
  const exit = await exited;
  // Everything the server wrote (embedded DynamoDB, secrets, outbox) is for its user only.
  const readableByOthers = (readdirSync(dataDir, { recursive: true }) as string[])
    .map((name) => path.join(dataDir, name))
    .filter((file) => (statSync(file).mode & 0o077) !== 0);
  const { stdout: listed } = await run(
    'npx',
    ['tsx', 'bin/cli.ts', 'events', 'list', 'default', '--local', '--data-dir', dataDir, '--json'],
    {
      cwd: ROOT,
      env: childEnv({}),
      timeout: 60_000,
    },
  );

  // Assess
  expect(stdout).toMatch(new RegExp(`^\\s*MifosX, Fineract <= 1\\.6 : http://localhost:${port}/modules/sms$`, 'm'));
  expect(stdout).toMatch(new RegExp(`^\\s*Fineract >= 1\\.7\\s+: http://localhost:${port}/modules/sms/$`, 'm'));
  expect(stdout).toContain(`listening on 127.0.0.1:${port}`);
  expect(stdout).toContain('this machine only');
  expect(readableByOthers).toEqual([]);
  expect(key).toMatch(/^fhk_/);
  expect(posted.status).toBe(200);
  expect(posted.body).toMatchObject({ status: 'accepted' });
  expect(exit).toEqual({ code: 0, signal: null });
  expect(stdout).toContain('SIGTERM: finishing in-flight requests');
  const rows = JSON.parse(listed) as { id: string; entity: string; action: string }[];
  expect(rows).toEqual([
    expect.objectContaining({ id: (posted.body as { eventId: string }).eventId, entity: 'SMS', action: 'SEND' }),
  ]);
});
