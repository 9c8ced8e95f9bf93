/**
 * `logs tail` over the local server's log file and over CloudWatch Logs (aws-sdk-client-mock): the filter pattern,
 * paging with nextToken, and --follow stopping after N polls.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { filterPattern } from '../../lambdas/adapters/cloudwatch-log-reader';
import { fileTeeLogger, readLocalLog } from '../../lambdas/adapters/local/file-log';
import { runCli } from '../../lambdas/cli/program';
import { CapturingLogger } from '../helpers/capturing-logger';
import { FakeClock } from '../helpers/fake-clock';
import { loadDelivery, withKey } from '../helpers/fixtures';
import { send, startTestReceiver } from '../helpers/receiver';

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
  };
  const code = await runCli(args, { io });
  return { code, stdout, stderr };
}

function line(fields: Record<string, unknown>): string {
  return JSON.stringify({ timestamp: new Date().toISOString(), level: 'INFO', ...fields });
}

describe('logs tail --local', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'fhr-logs-'));
  });

  test('the local server log is written 0600 and read back filtered by tenant', async () => {
    // Prepare
    const file = path.join(dataDir, 'server.log');
    const logger = fileTeeLogger(new CapturingLogger(), file);
    logger.info('event accepted', { tenantId: 'acme', eventId: 'e1' });
    logger.warn('event will be retried', { tenantId: 'other', eventId: 'e2' });
    logger.info('event processed', { tenantId: 'acme', eventId: 'e1', status: 'sent' });
    // Act
    const run = await cli(['--local', '--data-dir', dataDir, 'logs', 'tail', '--tenant', 'acme']);
    // Assess
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(run.code).toBe(0);
    const printed = run.stdout.trim().split('\n');
    expect(printed).toHaveLength(2);
    expect(printed[0]).toMatch(/INFO +server +event accepted +tenant=acme event=e1/);
    expect(printed[1]).toContain('status=sent');
  });

  test('the file holds the lines the server prints: below LOG_LEVEL nothing, as in CloudWatch', async () => {
    // Prepare
    const file = path.join(dataDir, 'server.log');
    const atInfo = fileTeeLogger(new CapturingLogger(), file, { minLevel: 'INFO' });
    const atDebug = fileTeeLogger(new CapturingLogger(), `${file}.debug`, { minLevel: 'DEBUG' });
    // Act
    for (const logger of [atInfo, atDebug]) {
      logger.debug('fineract callback', { tenantId: 'acme', durationMs: 12 });
      logger.info('event processed', { tenantId: 'acme' });
    }
    // Assess
    const messages = (f: string) =>
      readFileSync(f, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).message);
    expect(messages(file)).toEqual(['event processed']);
    expect(messages(`${file}.debug`)).toEqual(['fineract callback', 'event processed']);
  });

  test('--json prints the raw lines; --event picks one event; --since leaves older lines out', async () => {
    // Prepare
    const old = JSON.stringify({ timestamp: '2020-01-01T00:00:00.000Z', level: 'INFO', message: 'old', eventId: 'e1' });
    writeFileSync(
      path.join(dataDir, 'server.log'),
      `${old}\n${line({ message: 'm1', eventId: 'e1' })}\n${line({ message: 'm2', eventId: 'e2' })}\n`,
    );
    // Act
    const run = await cli([
      '--local',
      '--data-dir',
      dataDir,
      '--json',
      'logs',
      'tail',
      '--event',
      'e1',
      '--since',
      '1h',
    ]);
    // Assess
    const events = JSON.parse(run.stdout) as { source: string; message: string }[];
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.message)).toMatchObject({ message: 'm1', eventId: 'e1' });
  });

  test('reading from an offset returns only lines appended since, never a half-written one', () => {
    // Prepare
    const file = path.join(dataDir, 'server.log');
    writeFileSync(file, `${line({ message: 'a' })}\n`);
    const first = readLocalLog(file, { since: 0 });
    writeFileSync(file, `${line({ message: 'a' })}\n${line({ message: 'b' })}\n{"partial`);
    // Act
    const second = readLocalLog(file, { since: 0 }, first.offset);
    // Assess
    expect(first.lines.map((l) => l.fields?.message)).toEqual(['a']);
    expect(second.lines.map((l) => l.fields?.message)).toEqual(['b']);
  });

  test('the tee logger stamps lines with the injected clock', () => {
    // Prepare
    const file = path.join(dataDir, 'server.log');
    const clock = new FakeClock('2024-10-24T09:00:00.000Z');
    // Act
    fileTeeLogger(new CapturingLogger(), file, { now: () => clock.now() }).error('boom', { tenantId: 't' });
    // Assess
    expect(readLocalLog(file, { since: 0 }).lines[0]?.fields).toEqual({
      timestamp: '2024-10-24T09:00:00.000Z',
      level: 'ERROR',
      message: 'boom',
      tenantId: 't',
    });
  });

  test('a bad duration is bad usage (exit 2)', async () => {
    // Act
    const run = await cli(['--local', '--data-dir', dataDir, 'logs', 'tail', '--since', 'yesterday']);
    // Assess
    expect(run.code).toBe(2);
  });
});

describe('the local server and logs tail', () => {
  test('the server appends its lines to DATA_DIR/server.log; tail finds the event, with no token or full number', async () => {
    // Prepare
    const receiver = await startTestReceiver();
    try {
      const registration = loadDelivery('mifosx-sms-registration');
      const apiKey = (await send(receiver.url, registration)).body as string;
      const accepted = await send(receiver.url, withKey(loadDelivery('fineract-sms-client-create-envelope'), apiKey));
      const eventId = (accepted.body as { eventId: string }).eventId;
      // Act
      const run = await cli(['--local', '--data-dir', receiver.dataDir, '--json', 'logs', 'tail', '--event', eventId]);
      // Assess
      const messages = (JSON.parse(run.stdout) as { message: string }[]).map((l) => JSON.parse(l.message).message);
      expect(messages).toContain('event accepted');
      const file = readFileSync(path.join(receiver.dataDir, 'server.log'), 'utf8');
      const body = JSON.parse(registration.body) as { smsProviderToken: string; mifosToken: string };
      for (const secret of [apiKey, body.smsProviderToken, body.mifosToken, '254712345678']) {
        expect(file).not.toContain(secret);
      }
    } finally {
      await receiver.stop();
    }
  });
});

describe('logs tail --stack', () => {
  const cloudFormation = mockClient(CloudFormationClient);
  const logs = mockClient(CloudWatchLogsClient);

  beforeEach(() => {
    cloudFormation.reset();
    logs.reset();
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'Receiver',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [
            { OutputKey: 'IngestLogGroupName', OutputValue: '/fhr/ingest' },
            { OutputKey: 'WorkerLogGroupName', OutputValue: '/fhr/worker' },
            { OutputKey: 'ApiAccessLogGroupName', OutputValue: '/fhr/access' },
            { OutputKey: 'ApiUrl', OutputValue: 'https://x.example' },
          ],
        },
      ],
    });
  });

  afterAll(() => {
    cloudFormation.restore();
    logs.restore();
  });

  test('filters by tenant and event server-side and follows nextToken pages of every function group', async () => {
    // Prepare
    const at = Date.now();
    logs.on(FilterLogEventsCommand).resolves({ events: [] });
    logs
      .on(FilterLogEventsCommand, { logGroupName: '/fhr/worker', nextToken: undefined })
      .resolves({
        events: [
          {
            eventId: 'w1',
            timestamp: at,
            message: line({ message: 'event processed', tenantId: 'acme', eventId: 'e1', status: 'sent' }),
          },
        ],
        nextToken: 'page2',
      })
      .on(FilterLogEventsCommand, { logGroupName: '/fhr/worker', nextToken: 'page2' })
      .resolves({
        events: [
          {
            eventId: 'w2',
            timestamp: at + 1,
            message: line({ message: 'fineract callback', tenantId: 'acme', eventId: 'e1' }),
          },
        ],
      });
    // Act
    const run = await cli(['--stack', 'Receiver', 'logs', 'tail', '--tenant', 'acme', '--event', 'e1']);
    // Assess
    expect(run.code).toBe(0);
    const calls = logs.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.logGroupName).sort()).toEqual(['/fhr/ingest', '/fhr/worker', '/fhr/worker']);
    expect(calls.every((c) => c.filterPattern === '{ ($.tenantId = "acme") && ($.eventId = "e1") }')).toBe(true);
    const printed = run.stdout.trim().split('\n');
    expect(printed).toHaveLength(2);
    expect(printed[0]).toMatch(/worker +event processed +tenant=acme event=e1 status=sent/);
    expect(printed[1]).toContain('fineract callback');
  });

  test('--follow polls again for new lines, never prints one twice, and stops after the polls asked for', async () => {
    // Prepare
    const at = Date.now();
    const first = { eventId: 'i1', timestamp: at, message: line({ message: 'event accepted', tenantId: 'acme' }) };
    const second = {
      eventId: 'i2',
      timestamp: at + 5,
      message: line({ message: 'duplicate event acknowledged', tenantId: 'acme' }),
    };
    logs
      .on(FilterLogEventsCommand, { logGroupName: '/fhr/ingest' })
      .resolvesOnce({ events: [first] })
      .resolves({ events: [first, second] });
    logs.on(FilterLogEventsCommand, { logGroupName: '/fhr/worker' }).resolves({ events: [] });
    // Act
    const run = await cli([
      '--stack',
      'Receiver',
      '--json',
      'logs',
      'tail',
      '--tenant',
      'acme',
      '--follow',
      '--interval',
      '0',
      '--max-polls',
      '3',
    ]);
    // Assess
    expect(run.code).toBe(0);
    const printed = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { source: string; message: string });
    expect(printed.map((p) => JSON.parse(p.message).message)).toEqual([
      'event accepted',
      'duplicate event acknowledged',
    ]);
    expect(logs.commandCalls(FilterLogEventsCommand, { logGroupName: '/fhr/ingest' })).toHaveLength(3);
  });

  test("reads Lambda's own JSON lines too: the runtime's uncaught error and a platform event", async () => {
    // Prepare
    const at = Date.now();
    const crash = JSON.stringify({
      timestamp: new Date(at).toISOString(),
      level: 'ERROR',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
      message: { errorType: 'TypeError', errorMessage: 'x is undefined', stackTrace: ['at handler'] },
    });
    const timeout = JSON.stringify({
      time: new Date(at + 1).toISOString(),
      type: 'platform.runtimeDone',
      record: { requestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678', status: 'timeout' },
    });
    logs.on(FilterLogEventsCommand).resolves({ events: [] });
    logs.on(FilterLogEventsCommand, { logGroupName: '/fhr/worker' }).resolves({
      events: [
        { eventId: 'c1', timestamp: at, message: crash },
        { eventId: 'c2', timestamp: at + 1, message: timeout },
      ],
    });
    // Act
    const run = await cli(['--stack', 'Receiver', 'logs', 'tail']);
    // Assess
    expect(run.code).toBe(0);
    const printed = run.stdout.trim().split('\n');
    expect(printed[0]).toMatch(/ERROR +worker +TypeError: x is undefined/);
    expect(printed[1]).toMatch(/worker +platform\.runtimeDone timeout/);
  });

  test('no filter means no pattern: every line of the window', () => {
    expect(filterPattern({})).toBeUndefined();
    expect(filterPattern({ tenantId: 'acme' })).toBe('{ ($.tenantId = "acme") }');
  });
});
