/**
 * The operator CLI against a running local server's data (`--local --data-dir`): every command's `--json` output
 * parsed, `--help` on every command, exit code 2 on bad usage and 1 on a failed command. The commands run in
 * this process through `runCli` (what bin/cli.ts calls); one test runs bin/cli.ts itself for the process exit code.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../lambdas/cli/program';
import type { StoredEvent } from '../../lambdas/core/model';
import { loadDelivery, withKey } from '../helpers/fixtures';
import { send, startTestReceiver, type TestReceiver, waitFor } from '../helpers/receiver';

const REPO_ROOT = path.resolve(__dirname, '../..');
const TENANT = 'default';

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json<T = unknown>(): T;
}

let receiver: TestReceiver;
let apiKey: string;
let eventId: string;

async function cli(args: string[], options: { tty?: boolean } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (text: string) => (stdout += text), isTTY: options.tty ?? false },
    stderr: { write: (text: string) => (stderr += text) },
    env: { DATA_DIR: receiver.dataDir },
  };
  const code = await runCli(['--local', '--data-dir', receiver.dataDir, ...args], { io });
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}

async function storedEvent(id: string): Promise<StoredEvent | undefined> {
  return receiver.receiver.deps.ingest.events.get(TENANT, id);
}

beforeAll(async () => {
  receiver = await startTestReceiver({ dataDir: mkdtempSync(path.join(tmpdir(), 'fhr-cli-')) });
  // The SMS Bridge handshake, then a Fineract envelope with name and number in it: texted without any callback.
  const registration = loadDelivery('mifosx-sms-registration');
  const body = { ...JSON.parse(registration.body), endpoint: 'http://127.0.0.1:9/fineract-provider/api/' };
  apiKey = (await send(receiver.url, { ...registration, body: JSON.stringify(body) })).body as string;
  const accepted = await send(receiver.url, withKey(loadDelivery('fineract-sms-client-create-envelope'), apiKey));
  eventId = (accepted.body as { eventId: string }).eventId;
  await waitFor(async () => (await storedEvent(eventId))?.status === 'sent', 10_000, 'the event to be sent');
});

afterAll(async () => {
  await receiver?.stop();
});

describe('cli --help', () => {
  const commands = [
    [],
    ['tenants'],
    ['tenants', 'create'],
    ['tenants', 'enroll'],
    ['tenants', 'unenroll'],
    ['tenants', 'list'],
    ['tenants', 'show'],
    ['tenants', 'set'],
    ['tenants', 'rotate-key'],
    ['templates', 'list'],
    ['templates', 'set'],
    ['templates', 'unset'],
    ['templates', 'preview'],
    ['events', 'list'],
    ['events', 'show'],
    ['events', 'resend'],
    ['events', 'replay'],
    ['dlq', 'redrive'],
    ['fineract', 'connect'],
    ['logs', 'tail'],
  ];

  it.each(commands.map((c) => [c.join(' ') || '(root)', c]))('explains %s and exits 0', async (_name, command) => {
    // Prepare
    const args = [...command, '--help'];

    // Act
    const run = await cli(args);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: cli /);
  });

  it('prints the overview with no arguments at all', async () => {
    // Prepare
    const io = { stdout: { write: jest.fn() }, stderr: { write: jest.fn() }, env: {} };

    // Act
    const code = await runCli([], { io });

    // Assess
    expect(code).toBe(0);
    expect(String(io.stdout.write.mock.calls[0]?.[0])).toContain('tenants');
  });
});

describe('cli bad usage exits 2 and prints nothing on stdout', () => {
  const cases: [string, string[]][] = [
    ['a missing argument', ['tenants', 'show']],
    ['an invalid tenant id', ['tenants', 'show', 'not a tenant!']],
    ['an unknown command', ['tenants', 'explode', TENANT]],
    ['an unknown option', ['events', 'list', TENANT, '--bogus']],
    ['an unknown status', ['events', 'list', TENANT, '--status', 'nope']],
    ['a limit of zero', ['events', 'list', TENANT, '--limit', '0']],
    ['a key that is not ENTITY.ACTION', ['templates', 'unset', TENANT, 'LOAN']],
    ['a broken Mustache template', ['templates', 'set', TENANT, 'LOAN.REPAYMENT', '{{#amount}} open']],
    ['an endpoint prefix that is not a URL', ['tenants', 'enroll', TENANT, '--endpoint-prefix', 'ftp://x']],
    ['an unknown default country', ['tenants', 'set', TENANT, '--default-country', 'XX']],
    ['a messaging service that is not an MG SID', ['tenants', 'set', TENANT, '--messaging-service', 'PN123']],
    ['negative grace hours', ['tenants', 'rotate-key', TENANT, '--grace-hours', '-1']],
    ['a DLQ redrive against local data', ['dlq', 'redrive']],
  ];

  it.each(cases)('%s', async (_name, args) => {
    // Prepare
    const before = await cli(['--json', 'templates', 'list', TENANT]);

    // Act
    const run = await cli(args);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).not.toBe('');
    expect((await cli(['--json', 'templates', 'list', TENANT])).stdout).toBe(before.stdout);
  });
});

describe('cli tenants', () => {
  it('lists and shows the registered tenant without its secrets', async () => {
    // Prepare
    const args = ['--json'];

    // Act
    const list = await cli([...args, 'tenants', 'list']);
    const show = await cli(['tenants', 'show', TENANT, ...args]);

    // Assess
    expect(list.code).toBe(0);
    expect(list.json<{ tenantId: string; credentialsValid: boolean }[]>()).toEqual([
      expect.objectContaining({ tenantId: TENANT, credentialsValid: true }),
    ]);
    const shown = show.json<{ config: Record<string, unknown>; keys: { fingerprint: string }[] }>();
    expect(shown.config.accountSid).toMatch(/^AC.{2}….{4}$/);
    expect(shown.keys).toHaveLength(1);
    expect(show.stdout).not.toContain(apiKey);
    expect(show.stdout).not.toMatch(/authToken|smsProviderToken|mifosToken/);
  });

  it('creates, enrolls, rotates and unenrolls a tenant', async () => {
    // Prepare
    const tenant = 'branch-2';

    // Act
    const created = await cli(['--json', 'tenants', 'create', tenant]);
    const enrolled = await cli(['--json', 'tenants', 'enroll', tenant, '--endpoint-prefix', 'https://b2.example/']);
    const rotated = await cli(['--json', 'tenants', 'rotate-key', tenant, '--grace-hours', '1']);
    const unenrolled = await cli(['--json', 'tenants', 'unenroll', tenant]);

    // Assess
    expect([created.code, enrolled.code, rotated.code, unenrolled.code]).toEqual([0, 0, 0, 0]);
    const key = created.json<{ apiKey: string; webPayloadUrl: string; ingestKey: { key: string } }>();
    expect(key.webPayloadUrl).toBe(`${receiver.url.replace('localhost', '127.0.0.1')}/hooks/${key.ingestKey.key}/`);
    expect(enrolled.json()).toEqual({ tenantId: tenant, enrolled: true, endpointPrefix: 'https://b2.example/' });
    const rotation = rotated.json<{ apiKey: string; previousKeysValidUntil: string }>();
    expect(rotation.apiKey).not.toBe(key.apiKey);
    expect(Date.parse(rotation.previousKeysValidUntil)).not.toBeNaN();
    expect(unenrolled.json()).toEqual({ tenantId: tenant, enrolled: false });
  });

  it('create says which key is which: an ingest key for the Web hook URL, an admin key for the admin API', async () => {
    // Prepare
    const tenant = 'branch-3';

    // Act
    const created = await cli(['--json', 'tenants', 'create', tenant]);
    const keys = created.json<{
      apiKey: string;
      webhookPayloadUrl: string;
      webPayloadUrl: string;
      ingestKey: { key: string; scope: string };
      adminKey: { key: string; scope: string };
    }>();
    const asAdmin = (key: string) =>
      fetch(`${receiver.url}/modules/sms/events/${tenant}`, { headers: { 'X-Mifos-API-Key': key } }).then(
        (r) => r.status,
      );

    // Assess
    expect(created.code).toBe(0);
    expect(keys.ingestKey.scope).toBe('ingest');
    expect(keys.adminKey.scope).toBe('admin');
    // apiKey is the tenant API's (admin) key; the Web hook's Payload URL carries the ingest-only key.
    expect(keys.apiKey).toBe(keys.adminKey.key);
    expect(keys.webPayloadUrl).toBe(`${receiver.url.replace('localhost', '127.0.0.1')}/hooks/${keys.ingestKey.key}/`);
    expect(keys.webhookPayloadUrl).toBe(keys.webPayloadUrl);
    expect(await asAdmin(keys.ingestKey.key)).toBe(403);
    expect(await asAdmin(keys.adminKey.key)).toBe(200);
  });

  it('enroll --replace opens a one-time owner change; a prefix that is not a plain URL is bad usage (2)', async () => {
    // Act
    const replace = await cli(['--json', 'tenants', 'enroll', 'branch-4', '--replace', '--replace-hours', '2']);
    const badPrefix = await cli(['tenants', 'enroll', 'branch-4', '--endpoint-prefix', 'https://x.example/?a=1']);

    // Assess
    expect(replace.code).toBe(0);
    const until = replace.json<{ replaceUntil: string }>().replaceUntil;
    expect(Date.parse(until) - Date.now()).toBeGreaterThan(3600_000);
    expect(badPrefix.code).toBe(2);
  });

  it('sets and clears the default country, and fails (1) for a tenant with no registration', async () => {
    // Prepare
    const set = ['tenants', 'set', TENANT, '--default-country', 'KE'];

    // Act
    const updated = await cli(['--json', ...set]);
    const cleared = await cli(['--json', 'tenants', 'set', TENANT, '--default-country', '']);
    const unregistered = await cli(['--json', 'tenants', 'set', 'nobody', '--default-country', 'KE']);

    // Assess
    expect(updated.json()).toEqual({ tenantId: TENANT, defaultCountry: 'KE', messagingServiceSid: null });
    expect(cleared.json()).toEqual({ tenantId: TENANT, defaultCountry: null, messagingServiceSid: null });
    expect(unregistered.code).toBe(1);
    expect(unregistered.stderr).toContain('has no SMS Bridge registration');
  });
});

describe('cli templates', () => {
  it('sets, lists, previews and unsets a tenant override', async () => {
    // Prepare
    const template = 'Dear {{firstName}}, repayment of {{amount}} on {{accountNo}} ({{nickname}}).';

    // Act
    const set = await cli(['--json', 'templates', 'set', TENANT, 'loan.repayment', template]);
    const list = await cli(['--json', 'templates', 'list', TENANT]);
    const preview = await cli(['--json', 'templates', 'preview', TENANT, 'LOAN.REPAYMENT']);
    const unset = await cli(['--json', 'templates', 'unset', TENANT, 'LOAN.REPAYMENT']);
    const after = await cli(['--json', 'templates', 'list', TENANT]);

    // Assess
    expect(set.json()).toEqual({
      tenantId: TENANT,
      key: 'LOAN.REPAYMENT',
      template,
      silenced: false,
      unknownVariables: ['nickname'],
    });
    type Listing = { templates: { key: string; source: string; template: string }[]; variables: object };
    const row = (run: CliRun) => run.json<Listing>().templates.find((t) => t.key === 'LOAN.REPAYMENT');
    expect(row(list)).toEqual({ key: 'LOAN.REPAYMENT', source: 'tenant', template });
    expect(list.json<Listing>().variables).toHaveProperty('clientName');
    expect(preview.json()).toEqual({
      tenantId: TENANT,
      key: 'LOAN.REPAYMENT',
      template,
      data: 'sample',
      text: 'Dear Jane, repayment of 500 on 000000007 ().',
    });
    expect(unset.json()).toEqual({ tenantId: TENANT, key: 'LOAN.REPAYMENT', source: 'default' });
    expect(row(after)?.source).toBe('default');
  });

  it('previews with a stored event, and fails (1) for an unknown one', async () => {
    // Prepare
    const args = ['templates', 'preview', TENANT, 'CLIENT.CREATE'];

    // Act
    const preview = await cli(['--json', ...args, '--event', eventId]);
    const missing = await cli(['--json', ...args, '--event', 'no-such-event']);

    // Assess
    expect(preview.json()).toMatchObject({ data: 'event', text: 'Hello Jane Doe, welcome at Mifos X!' });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
  });

  it('says when a key has no template', async () => {
    // Prepare
    const args = ['--json', 'templates', 'preview', TENANT, 'GROUP.CREATE'];

    // Act
    const preview = await cli(args);

    // Assess
    expect(preview.json()).toEqual({
      tenantId: TENANT,
      key: 'GROUP.CREATE',
      data: 'sample',
      template: null,
      text: null,
    });
  });
});

describe('cli events', () => {
  it('lists the sent event and shows it with its message, without the recipient number', async () => {
    // Prepare
    const list = ['events', 'list', TENANT, '--status', 'sent', '--limit', '5'];

    // Act
    const listed = await cli(['--json', ...list]);
    const shown = await cli(['--json', 'events', 'show', TENANT, eventId]);

    // Assess
    expect(listed.json()).toEqual([
      expect.objectContaining({ id: eventId, entity: 'CLIENT', action: 'CREATE', status: 'sent' }),
    ]);
    const story = shown.json<{ event: { id: string }; messages: Record<string, unknown>[] }>();
    expect(story.event.id).toBe(eventId);
    expect(story.messages).toEqual([expect.objectContaining({ status: 'sent', sid: expect.stringMatching(/^SM/) })]);
    expect(story.messages[0]).not.toHaveProperty('to');
    expect(shown.stdout).not.toContain('254712345678');
  });

  it('fails (1) to show an unknown event', async () => {
    // Prepare
    const args = ['--json', 'events', 'show', TENANT, 'no-such-event'];

    // Act
    const run = await cli(args);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('No event no-such-event');
  });

  it('shows what a replay would send, then re-drives the event without texting twice', async () => {
    // Prepare
    const outboxBefore = (await receiver.receiver.deps.admin.messages.listByEvent(TENANT, eventId)).length;

    // Act
    const dryRun = await cli(['--json', 'events', 'replay', TENANT, '--status', 'sent', '--dry-run']);
    const resent = await cli(['--json', 'events', 'resend', TENANT, '--event', eventId, '--status', 'sent']);
    // What the server's sweep timer does within seconds: the CLI made the event due now.
    await receiver.receiver.sweep();
    await waitFor(async () => (await storedEvent(eventId))?.status === 'sent', 10_000, 'the re-driven event');

    // Assess
    expect(dryRun.json()).toEqual([
      {
        id: eventId,
        entity: 'CLIENT',
        action: 'CREATE',
        status: 'sent',
        lastError: null,
        wouldSend: 'Hello Jane Doe, welcome at Mifos X!',
      },
    ]);
    expect(resent.json()).toEqual({ tenantId: TENANT, replayed: 1, eventIds: [eventId] });
    const messages = await receiver.receiver.deps.admin.messages.listByEvent(TENANT, eventId);
    expect(messages).toHaveLength(outboxBefore);
    expect(messages.map((m) => m.status)).toEqual(['sent']);
  });
});

describe('cli output for people', () => {
  it('draws lists as tables, coloured only on a terminal', async () => {
    // Prepare
    const args = ['events', 'list', TENANT];

    // Act
    const piped = await cli(args);
    const terminal = await cli(args, { tty: true });

    // Assess
    expect(piped.stdout).toContain(eventId);
    expect(piped.stdout).toMatch(/┌.*┐/);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for ANSI escapes
    expect(piped.stdout).not.toMatch(/\u001b\[/);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for ANSI escapes
    expect(terminal.stdout).toMatch(/\u001b\[/);
  });
});

describe('bin/cli.ts', () => {
  it('exits the process with 0 for --help and 2 for bad usage', () => {
    // Prepare
    const tsx = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
    const run = (...args: string[]) => spawnSync(tsx, ['bin/cli.ts', ...args], { cwd: REPO_ROOT, encoding: 'utf8' });

    // Act
    const help = run('--help');
    const bad = run('tenants', 'show');

    // Assess
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: cli');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("missing required argument 'tenantId'");
  });
});
