/**
 * The ingest bundle as the stack builds it (lib/bundling.ts: its own tree-shaken SDK clients), loaded in a fresh
 * node process with no node_modules to fall back on, as Lambda loads it: a hook is authenticated, stored and
 * enqueued through the bundled DynamoDB and SQS clients.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { esbuildOptionsFor } from '../../lib/bundling';
import { issueApiKey } from '../../lambdas/core/api-keys';
import { toApiGatewayEvent } from '../helpers/apigw-events';
import { startTestDynamo, type TestDynamo, type TestStores } from '../helpers/dynamo';
import { FakeClock } from '../helpers/fake-clock';
import { loadDelivery, withKey } from '../helpers/fixtures';

const REPO_ROOT = path.resolve(__dirname, '../..');

/** Requires the bundle, calls its handler with the event in argv, prints the result. */
const INVOKE = `
const { handler } = require(process.argv[2]);
const event = JSON.parse(process.argv[3]);
const context = { functionName: 'ingest', awsRequestId: 'bundle-test', getRemainingTimeInMillis: () => 10000 };
handler(event, context).then((r) => process.stdout.write('RESULT' + JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });
`;

/** SQS SendMessage (JSON protocol) answered as SQS does, with the body's MD5 the SDK checks. */
function fakeSqs(received: string[]): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { MessageBody: string };
      received.push(input.MessageBody);
      const md5 = createHash('md5').update(input.MessageBody, 'utf8').digest('hex');
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ MessageId: `m-${received.length}`, MD5OfMessageBody: md5 }));
    });
  });
}

describe('the ingest bundle', () => {
  let dynamo: TestDynamo;
  let stores: TestStores;
  let sqs: http.Server;
  const received: string[] = [];
  let dir: string;
  let bundleFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'fhr-ingest-bundle-'));
    bundleFile = path.join(dir, 'index.js');
    await build({
      absWorkingDir: REPO_ROOT,
      entryPoints: ['lambdas/ingest/handler.ts'],
      outfile: bundleFile,
      ...esbuildOptionsFor('ingest'),
      logLevel: 'silent',
    });
    writeFileSync(path.join(dir, 'invoke.cjs'), INVOKE);
    dynamo = await startTestDynamo();
    stores = await dynamo.createStores('bundle');
    sqs = fakeSqs(received);
    await new Promise<void>((resolve) => sqs.listen(0, '127.0.0.1', resolve));
  }, 60_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => sqs.close(() => resolve()));
    await dynamo.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores and enqueues a hook through its own SDK clients', async () => {
    // Prepare
    const { key } = await issueApiKey(stores.tenants, new FakeClock(), 'default', { label: 'test' });
    const event = toApiGatewayEvent(withKey(loadDelivery('fineract-sms-client-create-envelope'), key));
    const sqsUrl = `http://127.0.0.1:${(sqs.address() as AddressInfo).port}`;
    const env = {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SQS: sqsUrl,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      TENANTS_TABLE: stores.tables.tenantsTable,
      EVENTS_TABLE: stores.tables.eventsTable,
      QUEUE_URL: `${sqsUrl}/000000000000/work`,
      LOG_LEVEL: 'WARN',
    };

    // Act
    const child = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      // Asynchronously: this process serves the engine and the fake queue the child talks to.
      const proc = spawn(process.execPath, [path.join(dir, 'invoke.cjs'), bundleFile, JSON.stringify(event)], {
        cwd: dir,
        env,
      });
      let stdout = '';
      let stderr = '';
      proc.stdout.on('data', (c: Buffer) => (stdout += c));
      proc.stderr.on('data', (c: Buffer) => (stderr += c));
      proc.on('close', (status: number | null) => resolve({ status, stdout, stderr }));
    });

    // Assess
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    const result = JSON.parse(child.stdout.slice(child.stdout.indexOf('RESULT') + 6)) as {
      statusCode: number;
      body: string;
    };
    expect(result.statusCode).toBe(200);
    const { status, eventId } = JSON.parse(result.body) as { status: string; eventId: string };
    expect(status).toBe('accepted');
    expect((await stores.events.get('default', eventId))?.status).toBe('received');
    expect(received.map((body) => JSON.parse(body).eventId)).toEqual([eventId]);
  }, 60_000);
});
