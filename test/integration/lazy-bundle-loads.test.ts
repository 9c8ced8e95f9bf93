/**
 * What the worker loads on first use (wiring/outbound.ts: the three SMS providers and the EventBridge forwarder;
 * Twilio and the AWS SMS and EventBridge clients from files built beside the bundle, lib/bundling.ts) must resolve
 * from the bundle as Lambda runs it: an import that fails only in AWS fails a tenant's first SMS there. The loaders
 * are bundled with the worker's options into a temp dir and called in a fresh node process that finds only the
 * runtime's SDK (NODE_PATH, as bench/cold-start.ts runs bundles). Every endpoint is a closed local port, so each
 * call must end in the provider's own DownstreamError, which only the loaded adapter can raise. And every
 * function's bundle loads there at all: each carries its own SDK clients and leaves only the later credential
 * sources to the runtime.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { esbuildOptionsFor, SIDE_BUNDLE_OPTIONS, sideBundlesFor } from '../../lib/bundling';

const REPO_ROOT = path.resolve(__dirname, '../..');
const CLOSED = 'http://127.0.0.1:1';

/** The probe: which modules are loaded at init, then each lazy port's first call and what it threw. */
const probeSource = (outbound: string) => `
import { createAfricasTalkingSender, createAwsSmsSender, createEventBus, createTwilioSender } from ${JSON.stringify(outbound)};

const loaded = () => Object.keys(require.cache).map((file) => file.split('/').pop());
const outcome = (call: () => Promise<unknown>) =>
  call().then(
    () => ({ resolved: true }),
    (error: { name?: string; service?: string; code?: unknown; message?: string }) => ({
      name: error.name, service: error.service, code: error.code, message: error.message,
    }),
  );

export async function probe() {
  const atInit = loaded();
  const settings = { twilioApiBaseUrl: '${CLOSED}', africastalkingApiBaseUrl: '${CLOSED}', twilioTimeoutMs: 2000 };
  const twilio = await outcome(() =>
    createTwilioSender(settings).verifyAccount({ accountSid: 'AC' + '0'.repeat(32), authToken: 'token' }),
  );
  const aws = await outcome(() =>
    createAwsSmsSender({}, { maxAttempts: 1 }).verifyAccount({ provider: 'aws' }, { from: '+15550000001' }),
  );
  const africastalking = await outcome(() =>
    createAfricasTalkingSender(settings).verifyAccount({ provider: 'africastalking', username: 'u', apiKey: 'k' }),
  );
  const eventbridge = await outcome(() =>
    createEventBus({ maxAttempts: 1 }).publish({ eventBusArn: 'arn:aws:events:us-east-1:000000000000:event-bus/b', source: 's', detailType: 'd', detail: '{}' }),
  );
  return { atInit, afterwards: loaded(), twilio, aws, africastalking, eventbridge };
}
`;

/** The probe of ingest's data key: the Secrets Manager read against a closed port, and what it loaded. */
const dataKeyProbeSource = (dataProtection: string) => `
import { secretsManagerDataKeySource } from ${JSON.stringify(dataProtection)};

const loaded = () => Object.keys(require.cache).map((file) => file.split('/').pop());

export async function probe() {
  const atInit = loaded();
  const source = secretsManagerDataKeySource('arn:aws:secretsmanager:us-east-1:000000000000:secret:k', {
    endpoint: '${CLOSED}',
    maxAttempts: 1,
  });
  const error = await source.load().then(
    () => ({ resolved: true }),
    (e: { name?: string; code?: string; message?: string }) => ({ name: e.name, code: e.code, message: e.message }),
  );
  return { atInit, afterwards: loaded(), error };
}
`;

/** Requires a function's bundle as Lambda's init does and checks its export. */
const REQUIRE = `
const mod = require(process.argv[2]);
if (typeof mod.handler !== 'function') throw new Error('no handler');
process.stdout.write('loaded');
`;

/** What module-level code of the functions reads (the stack sets these). */
const LAMBDA_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_LAMBDA_FUNCTION_NAME: 'bundle-test',
  POWERTOOLS_SERVICE_NAME: 'fineract-hook-receiver',
  POWERTOOLS_METRICS_NAMESPACE: 'FineractHookReceiver',
  LOG_LEVEL: 'WARN',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

async function buildFunction(fn: string, entry: string, outDir: string): Promise<string> {
  const file = path.join(outDir, 'index.js');
  await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: [entry],
    outfile: file,
    ...esbuildOptionsFor(fn),
    logLevel: 'silent',
  });
  for (const side of sideBundlesFor(fn)) {
    await build({
      absWorkingDir: REPO_ROOT,
      entryPoints: [side.entry],
      outfile: path.join(outDir, `${side.name}.js`),
      ...SIDE_BUNDLE_OPTIONS,
      logLevel: 'silent',
    });
  }
  return file;
}

const RUN = `
require(process.argv[2]).probe().then((r) => process.stdout.write(JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });
`;

/** Runs a built probe bundle in a fresh node that finds only the runtime's SDK, with local credentials. */
function runProbe(dir: string, bundleFile: string, extraEnv: Record<string, string> = {}) {
  writeFileSync(path.join(dir, 'run.cjs'), RUN);
  const env = {
    PATH: process.env.PATH ?? '',
    NODE_PATH: path.join(REPO_ROOT, 'node_modules'),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extraEnv,
  };
  return spawnSync(process.execPath, [path.join(dir, 'run.cjs'), bundleFile], {
    cwd: dir,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

interface Outcome {
  name?: string;
  service?: string;
  message?: string;
  resolved?: boolean;
}

describe('what the bundles load on first use', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fhr-lazy-bundle-'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves each SMS provider and the event bus from the bundle and the files beside it', async () => {
    // Prepare
    const entry = path.join(dir, 'probe.ts');
    writeFileSync(entry, probeSource(path.join(REPO_ROOT, 'lambdas', 'wiring', 'outbound.ts')));
    const bundleFile = await buildFunction('worker', entry, dir);

    // Act
    const child = runProbe(dir, bundleFile, {
      AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2: CLOSED,
      AWS_ENDPOINT_URL_EVENTBRIDGE: CLOSED,
    });

    // Assess
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    const result = JSON.parse(child.stdout) as Record<'twilio' | 'aws' | 'africastalking' | 'eventbridge', Outcome> & {
      atInit: string[];
      afterwards: string[];
    };
    const sideFiles = sideBundlesFor('worker').map((b) => `${b.name}.js`);
    expect(sideFiles.filter((f) => result.atInit.includes(f))).toEqual([]);
    expect(sideFiles.filter((f) => result.afterwards.includes(f))).toEqual(sideFiles);
    expect(
      Object.fromEntries(
        (['twilio', 'aws', 'africastalking', 'eventbridge'] as const).map((p) => [
          p,
          { name: result[p].name, service: result[p].service },
        ]),
      ),
    ).toEqual({
      twilio: { name: 'DownstreamError', service: 'twilio' },
      aws: { name: 'DownstreamError', service: 'aws-sms' },
      africastalking: { name: 'DownstreamError', service: 'africastalking' },
      eventbridge: { name: 'DownstreamError', service: 'eventbridge' },
    });
  }, 90_000);

  it('ingest reads the data key with the Secrets Manager client in the file beside its bundle, not at init', async () => {
    // Prepare
    const entry = path.join(dir, 'data-key-probe.ts');
    writeFileSync(entry, dataKeyProbeSource(path.join(REPO_ROOT, 'lambdas', 'adapters', 'data-protection.ts')));
    const out = path.join(dir, 'ingest-data-key');
    mkdirSync(out, { recursive: true });
    const bundleFile = await buildFunction('ingest', entry, out);

    // Act
    const child = runProbe(dir, bundleFile);

    // Assess: the read reached the (closed) endpoint through the side file's client
    expect(child.stderr).toBe('');
    const result = JSON.parse(child.stdout) as {
      atInit: string[];
      afterwards: string[];
      error: Outcome & { code?: string };
    };
    expect(result.atInit).not.toContain('secrets-manager-vendor.js');
    expect(result.afterwards).toContain('secrets-manager-vendor.js');
    expect(result.afterwards.filter((f) => f === 'index.js' || f?.includes('client-secrets-manager'))).toEqual([
      'index.js',
    ]);
    expect(result.error.code).not.toMatch(/MODULE_NOT_FOUND/);
    expect(result.error.message).toMatch(/ECONNREFUSED|connect/i);
  }, 90_000);

  it('loads the bundle of every function in a fresh node with only the SDK of the runtime to fall back on', async () => {
    // Prepare
    const functions = ['ingest', 'register', 'admin', 'twilio-status', 'worker', 'sweeper'];
    writeFileSync(path.join(dir, 'require.cjs'), REQUIRE);
    const files = [];
    for (const fn of functions) {
      const out = path.join(dir, 'functions', fn);
      mkdirSync(out, { recursive: true });
      files.push(await buildFunction(fn, path.join(REPO_ROOT, 'lambdas', fn, 'handler.ts'), out));
    }
    const env = { PATH: process.env.PATH ?? '', NODE_PATH: path.join(REPO_ROOT, 'node_modules'), ...LAMBDA_ENV };

    // Act
    const loads = files.map((file) =>
      spawnSync(process.execPath, [path.join(dir, 'require.cjs'), file], { cwd: dir, env, encoding: 'utf8' }),
    );

    // Assess
    expect(loads.map((l) => `${l.stdout}${l.stderr}`)).toEqual(functions.map(() => 'loaded'));
  }, 120_000);
});
