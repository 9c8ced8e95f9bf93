/**
 * `fineract connect` against a fake hooks API that behaves like current Fineract 1.x and like MifosX 16.x: create,
 * update (run twice, one hook), dry run, wrong password, the URL form per version, and the registration wait.
 */
import { Readable } from 'node:stream';
import { runCli } from '../../lambdas/cli/program';
import type { TenantConfig } from '../../lambdas/core/model';
import { readSettings } from '../../lambdas/core/settings';
import type { CliRuntime } from '../../lambdas/wiring/cli-runtime';
import { FakeFineractHooks, type FakeHooksFlavour } from '../helpers/fake-fineract-hooks';
import {
  MemoryConsoleSessionStore,
  MemoryEventBus,
  MemoryForwardDeliveryStore,
  MemoryTargetStore,
  memoryWorld,
} from '../helpers/memory-ports';

const RECEIVER = 'https://abc123.execute-api.eu-west-1.amazonaws.com';
const SMS_FIELDS = ['--sms-from', '+15005550006', '--twilio-account-sid', `AC${'0'.repeat(32)}`];
const ENV = { TWILIO_AUTH_TOKEN: 'twilio-token-secret' };

let fake: FakeFineractHooks;
let world: ReturnType<typeof memoryWorld>;

const targets = new MemoryTargetStore();

function runtime(): CliRuntime {
  return {
    target: 'memory',
    settings: readSettings({}),
    tenants: world.tenants,
    events: world.events,
    messages: world.messages,
    secrets: world.secrets,
    queue: world.queue,
    clock: world.clock,
    // Forwarding ports: `fineract connect` never uses them.
    targets,
    targetSecrets: targets,
    deliveries: new MemoryForwardDeliveryStore(),
    sessions: new MemoryConsoleSessionStore(),
    bus: new MemoryEventBus(),
    webhooks: {
      post: async () => {
        throw new Error('fineract connect sends no webhooks');
      },
    },
    close: async () => {},
  };
}

async function connect(args: string[], options: { password?: string; env?: NodeJS.ProcessEnv } = {}) {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { ...ENV, ...options.env },
    stdin: Readable.from([`${options.password ?? 'password'}\n`]),
  };
  const argv = ['--json', 'fineract', 'connect', '--url', fake.url, '--user', 'mifos', '--password-stdin'];
  const code = await runCli([...argv, '--receiver-url', RECEIVER, '--wait', '0', ...args], {
    io,
    openRuntime: async () => runtime(),
  });
  return { code, stdout, stderr, json: () => JSON.parse(stdout) };
}

async function startFake(flavour: FakeHooksFlavour, version?: string) {
  fake = await FakeFineractHooks.start({ flavour, version });
}

beforeEach(() => {
  world = memoryWorld();
});

afterEach(async () => {
  await fake?.stop();
});

describe.each([
  ['fineract', '1.9.0', `${RECEIVER}/modules/sms/`, 'fineract-platform-tenantid'],
  ['mifosx', undefined, `${RECEIVER}/modules/sms`, 'x-mifos-platform-tenantid'],
] as const)('against %s', (flavour, version, payloadUrl, tenantHeader) => {
  test('creates the SMS Bridge hook with the Payload URL form of that version and our events', async () => {
    // Prepare
    await startFake(flavour, version);
    // Act
    const run = await connect(SMS_FIELDS);
    // Assess
    expect(run.code).toBe(0);
    expect(fake.hooks).toHaveLength(1);
    const [hook] = fake.hooks;
    expect(hook!.name).toBe('SMS Bridge');
    expect(hook!.config).toEqual(
      expect.arrayContaining([
        { fieldName: 'Payload URL', fieldValue: payloadUrl },
        { fieldName: 'SMS Provider', fieldValue: 'twilio' },
        { fieldName: 'Phone Number', fieldValue: '+15005550006' },
      ]),
    );
    expect(hook!.events).toContainEqual({ entityName: 'LOAN', actionName: 'REPAYMENT' });
    expect(fake.requests.find((r) => r.path.endsWith('/hooks'))?.headers[tenantHeader]).toBe('default');
    expect(run.json()).toMatchObject({ hooks: [{ action: 'created', payloadUrl }], registration: 'pending' });
  });

  test('is idempotent: run twice, one hook, updated in place', async () => {
    // Prepare
    await startFake(flavour, version);
    await connect(SMS_FIELDS);
    // Act
    const second = await connect(['--events', 'CLIENT.CREATE']);
    // Assess
    expect(second.code).toBe(0);
    expect(fake.hooks).toHaveLength(1);
    expect(fake.hooks[0]!.events).toEqual([{ entityName: 'CLIENT', actionName: 'CREATE' }]);
    expect(second.json()).toMatchObject({ hooks: [{ action: 'updated', id: fake.hooks[0]!.id }] });
    expect(fake.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
  });
});

describe('fineract connect', () => {
  test('--dry-run prints the requests with the password and token masked and changes nothing', async () => {
    // Prepare
    await startFake('fineract');
    // Act
    const run = await connect([...SMS_FIELDS, '--dry-run', '--template', 'both', '--api-key', 'fhk_secretkey']);
    // Assess
    expect(run.code).toBe(0);
    expect(fake.hooks).toHaveLength(0);
    expect(fake.requests.every((r) => r.method === 'GET')).toBe(true);
    const shown = run.json();
    expect(shown.requests.map((r: { method: string }) => r.method)).toEqual(['POST', 'POST']);
    expect(run.stdout).toContain('Basic ***');
    expect(run.stdout).toContain('/hooks/***/');
    for (const secret of [
      'password',
      'twilio-token-secret',
      'fhk_secretkey',
      Buffer.from('mifos:password').toString('base64'),
    ]) {
      expect(run.stdout + run.stderr).not.toContain(secret);
    }
  });

  test('a wrong password is a clear error and exit 1', async () => {
    // Prepare
    await startFake('fineract');
    // Act
    const run = await connect(SMS_FIELDS, { password: 'wrong' });
    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/refused the credentials of user "mifos" for tenant "default" \(401\)/);
    expect(run.stderr).not.toContain('wrong');
    expect(fake.hooks).toHaveLength(0);
  });

  test('Fineract 1.6 gets the Payload URL without the trailing slash', async () => {
    // Prepare
    await startFake('fineract', '1.6.0');
    // Act
    const run = await connect(SMS_FIELDS);
    // Assess
    expect(run.json()).toMatchObject({
      senderFamily: 'fineract-1.5',
      hooks: [{ payloadUrl: `${RECEIVER}/modules/sms` }],
    });
  });

  test('the Web hook gets a newly issued key in its Payload URL', async () => {
    // Prepare
    await startFake('fineract');
    // Act
    const run = await connect(['--template', 'web']);
    // Assess
    expect(run.code).toBe(0);
    const url = fake.hooks[0]!.config.find((c) => c.fieldName === 'Payload URL')!.fieldValue;
    expect(url).toMatch(new RegExp(`^${RECEIVER}/hooks/fhk_[A-Za-z0-9_-]+/$`));
    expect(await world.tenants.listApiKeys('default')).toHaveLength(1);
    expect(run.json()).toMatchObject({ registration: 'not needed (Web hook)' });
  });

  test('waits until the sender registered and reports it', async () => {
    // Prepare: the fake plays the sender's first event, which registers the tenant with us.
    await startFake('fineract');
    fake.onSaved = async () => {
      const at = new Date().toISOString();
      const tenant: TenantConfig = {
        tenantId: 'default',
        smsProvider: 'twilio',
        registeredAt: at,
        updatedAt: at,
        registrationId: 'r1',
      };
      setTimeout(() => void world.tenants.putTenant(tenant), 50);
    };
    // Act
    const run = await connect([...SMS_FIELDS, '--wait', '5']);
    // Assess
    expect(run.json()).toMatchObject({ registration: 'registered' });
  });

  test('missing SMS Bridge fields are bad usage (exit 2), before anything is written', async () => {
    // Prepare
    await startFake('fineract');
    // Act
    const run = await connect([], { env: { TWILIO_AUTH_TOKEN: '' } });
    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--sms-from, --twilio-account-sid, TWILIO_AUTH_TOKEN');
    expect(fake.hooks).toHaveLength(0);
  });
});
