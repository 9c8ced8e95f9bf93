/**
 * `fineract connect`: sets up the SMS Bridge and/or Web hook in the tenant's own MifosX / Fineract over its hooks
 * API, with the Payload URL form its version needs (docs/protocol.md §4), then waits for the registration
 * handshake (§5) to show up in our tenant store.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  type ExistingHook,
  FineractHooksClient,
  FineractHooksError,
  type HookRequestBody,
  type ServerInfo,
} from '../adapters/fineract-hooks-client';
import { readLocalServerUrl, readStackOutputs } from '../adapters/stack-outputs';
import { issueApiKey } from '../core/api-keys';
import { TENANT_ID_PATTERN } from '../core/identifiers';
import { DEFAULT_TEMPLATES } from '../core/templates';
import type { CliRuntime } from '../wiring/cli-runtime';
import type { CliContext, GlobalOptions } from './context';
import { CommandFailedError, UsageError } from './errors';
import { Output } from './output';

export type HookKind = 'sms-bridge' | 'web';

/** The Fineract template names of our two hook kinds (docs/protocol.md §1), and the display names we give ours. */
export const HOOK_TEMPLATES: Record<HookKind, { template: string; displayName: string }> = {
  'sms-bridge': { template: 'SMS Bridge', displayName: 'hook-receiver-sms' },
  web: { template: 'Web', displayName: 'hook-receiver-web' },
};

/** Which URL form a sender needs (docs/protocol.md §4): only Fineract >= 1.7 posts to the Payload URL as typed. */
export type SenderFamily = 'fineract-1.7+' | 'fineract-1.5' | 'mifosx-or-fineract-1.4';

export function senderFamily(version: string | undefined): SenderFamily {
  const match = version?.match(/^(\d+)\.(\d+)/);
  if (!match) return 'mifosx-or-fineract-1.4';
  const [major, minor] = [Number(match[1]), Number(match[2])];
  if (major > 1 || minor >= 7) return 'fineract-1.7+';
  return minor >= 5 ? 'fineract-1.5' : 'mifosx-or-fineract-1.4';
}

/** The SMS Bridge Payload URL: `/modules/sms/` for Fineract >= 1.7 (it must end in `/`), `/modules/sms` before. */
export function smsPayloadUrl(receiverUrl: string, family: SenderFamily): string {
  const base = receiverUrl.replace(/\/+$/, '');
  return family === 'fineract-1.7+' ? `${base}/modules/sms/` : `${base}/modules/sms`;
}

export function webPayloadUrl(receiverUrl: string, apiKey: string): string {
  return `${receiverUrl.replace(/\/+$/, '')}/hooks/${apiKey}/`;
}

interface ConnectOptions {
  url: string;
  tenant: string;
  user: string;
  passwordStdin?: boolean;
  template: 'sms-bridge' | 'web' | 'both';
  events?: string[];
  dryRun?: boolean;
  receiverUrl?: string;
  smsFrom?: string;
  twilioAccountSid?: string;
  apiKey?: string;
  wait: number;
}

export interface PlannedRequest {
  method: 'POST' | 'PUT';
  url: string;
  headers: Record<string, string>;
  body: HookRequestBody;
}

function parseEvents(value: string): string[] {
  const keys = value
    .split(',')
    .map((k) => k.trim().toUpperCase())
    .filter(Boolean);
  const bad = keys.find((k) => !/^[A-Z0-9_]+\.[A-Z0-9_]+$/.test(k));
  if (bad || keys.length === 0) throw new InvalidArgumentError(`Events are ENTITY.ACTION pairs, e.g. LOAN.REPAYMENT.`);
  return keys;
}

function parseWait(value: string): number {
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 3600) throw new InvalidArgumentError('0 to 3600 seconds.');
  return seconds;
}

export function registerFineractCommands(program: Command, context: CliContext): void {
  const fineract = program.command('fineract').description('the tenant’s own MifosX / Fineract');
  fineract
    .command('connect')
    .description('create or update our hook(s) in a MifosX / Fineract tenant, then wait for its registration')
    .requiredOption('--url <url>', 'the Fineract/MifosX base, e.g. https://host/fineract-provider')
    .addOption(
      new Option('--tenant <id>', 'the Fineract tenant id').default('default').argParser((value: string) => {
        if (!TENANT_ID_PATTERN.test(value)) throw new InvalidArgumentError('1-64 letters, digits, "_" or "-".');
        return value;
      }),
    )
    .requiredOption('--user <name>', 'a Fineract user allowed to manage hooks')
    .option('--password-stdin', 'read the password from stdin (else FINERACT_PASSWORD)')
    .addOption(
      new Option('--template <kind>', 'which hook(s) to set up')
        .choices(['sms-bridge', 'web', 'both'])
        .default('sms-bridge'),
    )
    .addOption(
      new Option('--events <list>', 'ENTITY.ACTION,… (default: every event with an SMS template)').argParser(
        parseEvents,
      ),
    )
    .option('--dry-run', 'print the requests (password masked) and change nothing')
    .option('--receiver-url <url>', 'our API base URL (default: the stack output ApiUrl, or the local server)')
    .option('--sms-from <from>', 'SMS Bridge "Phone Number": E.164 number, MG… service or sender id')
    .option('--twilio-account-sid <sid>', 'SMS Bridge "SMS Provider Account Id" (token: TWILIO_AUTH_TOKEN)')
    .option('--api-key <key>', 'Web hook: the tenant API key for its Payload URL (default: issue one)')
    .addOption(new Option('--wait <seconds>', 'how long to wait for the registration').default(60).argParser(parseWait))
    .addHelpText(
      'after',
      '\nThe SMS Bridge hook registers on the first event it sends: create a client (or trigger any subscribed\n' +
        'event) while the command waits, or check later with `tenants show <tenant>`.',
    )
    .action(async (options: ConnectOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const out = new Output(context.io, Boolean(globals.json));
      await connect(context, globals, options, out);
    });
}

async function readPassword(context: CliContext, fromStdin: boolean | undefined): Promise<string> {
  if (fromStdin) {
    let text = '';
    for await (const chunk of context.io.stdin ?? process.stdin) text += chunk.toString();
    const password = text.replace(/\r?\n$/, '');
    if (!password) throw new UsageError('--password-stdin: stdin was empty');
    return password;
  }
  const password = context.io.env.FINERACT_PASSWORD;
  if (!password) throw new UsageError('give the password on stdin with --password-stdin, or in FINERACT_PASSWORD');
  return password;
}

async function receiverUrl(globals: GlobalOptions, options: ConnectOptions, env: NodeJS.ProcessEnv): Promise<string> {
  if (options.receiverUrl) return options.receiverUrl.replace(/\/+$/, '');
  if (globals.stack) {
    const url = (await readStackOutputs(globals.stack)).ApiUrl;
    if (!url) throw new CommandFailedError(`stack ${globals.stack} has no ApiUrl output`);
    return url.replace(/\/+$/, '');
  }
  const url = readLocalServerUrl(globals.dataDir ?? env.DATA_DIR ?? './.data');
  if (!url) throw new UsageError('no receiver URL: pass --receiver-url, --stack NAME, or start the local server first');
  return url;
}

function kinds(template: ConnectOptions['template']): HookKind[] {
  return template === 'both' ? ['sms-bridge', 'web'] : [template];
}

function requireTemplates(info: ServerInfo, wanted: HookKind[]): void {
  const offered = new Set(info.templates.map((t) => t.name.toLowerCase()));
  for (const kind of wanted) {
    const name = HOOK_TEMPLATES[kind].template;
    if (info.templates.length > 0 && !offered.has(name.toLowerCase())) {
      throw new CommandFailedError(
        `this server offers no "${name}" hook template (it has: ${[...offered].join(', ')})`,
      );
    }
  }
}

function hookBody(
  kind: HookKind,
  events: string[],
  config: Record<string, string>,
  displayName = HOOK_TEMPLATES[kind].displayName,
): HookRequestBody {
  return {
    name: HOOK_TEMPLATES[kind].template,
    displayName,
    isActive: true,
    events: events.map((key) => {
      const [entityName, actionName] = key.split('.') as [string, string];
      return { entityName, actionName };
    }),
    config,
  };
}

interface SmsFields {
  from?: string;
  accountSid?: string;
  token?: string;
}

function smsConfig(payloadUrl: string, fields: SmsFields, existing: ExistingHook | undefined): Record<string, string> {
  const keep = existing?.config ?? {};
  const from = fields.from ?? keep['Phone Number'];
  const accountSid = fields.accountSid ?? keep['SMS Provider Account Id'];
  const token = fields.token ?? keep['SMS Provider Token'];
  const missing = [
    from ? undefined : '--sms-from',
    accountSid ? undefined : '--twilio-account-sid',
    token ? undefined : 'TWILIO_AUTH_TOKEN',
  ].filter(Boolean);
  if (missing.length > 0) throw new UsageError(`the SMS Bridge hook needs ${missing.join(', ')}`);
  return {
    'Payload URL': payloadUrl,
    'SMS Provider': 'twilio',
    'Phone Number': from!,
    'SMS Provider Account Id': accountSid!,
    'SMS Provider Token': token!,
  };
}

function masked(request: PlannedRequest): PlannedRequest {
  const config = { ...request.body.config };
  if (config['SMS Provider Token']) config['SMS Provider Token'] = '***';
  if (config['Payload URL']) config['Payload URL'] = config['Payload URL'].replace(/\/hooks\/[^/]+\//, '/hooks/***/');
  return {
    ...request,
    headers: { ...request.headers, authorization: 'Basic ***' },
    body: { ...request.body, config },
  };
}

async function connect(context: CliContext, globals: GlobalOptions, options: ConnectOptions, out: Output) {
  const env = context.io.env;
  const password = await readPassword(context, options.passwordStdin);
  const receiver = await receiverUrl(globals, options, env);
  const client = new FineractHooksClient({
    baseUrl: options.url,
    tenantId: options.tenant,
    username: options.user,
    password,
    tlsInsecure: env.FINERACT_TLS_INSECURE === 'true',
  });
  const wanted = kinds(options.template);
  const info = await guarded(() => client.serverInfo());
  requireTemplates(info, wanted);
  const family = senderFamily(info.version);
  const version = info.version ?? null;
  out.note(`${options.url}: ${version ? `Fineract ${version}` : 'no version reported (MifosX or Fineract <= 1.4)'}`);
  const existing = await guarded(() => client.listHooks());

  const runtime = options.dryRun ? undefined : await openRuntime(context, globals);
  try {
    const started = new Date();
    const plan = { client, receiver, family, existing, wanted, runtime, env };
    const requests = await planRequests(plan, options);
    if (options.dryRun) {
      const shown = requests.map(masked);
      out.result({ dryRun: true, senderFamily: family, version, requests: shown }, () => {
        for (const r of shown)
          out.line(`${r.method} ${r.url}\n${JSON.stringify(r.headers)}\n${JSON.stringify(r.body)}\n`);
      });
      return;
    }
    const hooks = await saveHooks(client, requests);
    const registration = wanted.includes('sms-bridge')
      ? await waitForRegistration(runtime!, options.tenant, started, options.wait)
      : 'not needed (Web hook)';
    printResult(out, { tenantId: options.tenant, version, senderFamily: family, hooks, registration });
  } finally {
    await runtime?.close();
  }
}

interface Plan {
  client: FineractHooksClient;
  receiver: string;
  family: SenderFamily;
  existing: ExistingHook[];
  wanted: HookKind[];
  runtime: CliRuntime | undefined;
  env: NodeJS.ProcessEnv;
}

/** One request per hook kind: PUT onto our hook of that kind when the tenant has one (idempotent), else POST. */
async function planRequests(plan: Plan, options: ConnectOptions): Promise<PlannedRequest[]> {
  const { client, receiver, family, existing, runtime, env } = plan;
  const events = options.events ?? Object.keys(DEFAULT_TEMPLATES);
  const requests: PlannedRequest[] = [];
  for (const kind of plan.wanted) {
    const { template, displayName } = HOOK_TEMPLATES[kind];
    const current = existing.find(
      (h) => h.displayName === displayName && h.name.toLowerCase() === template.toLowerCase(),
    );
    const config =
      kind === 'sms-bridge'
        ? smsConfig(
            smsPayloadUrl(receiver, family),
            { from: options.smsFrom, accountSid: options.twilioAccountSid, token: env.TWILIO_AUTH_TOKEN },
            current,
          )
        : { 'Payload URL': webPayloadUrl(receiver, await webKey(options, runtime)), 'Content Type': 'json' };
    const body = hookBody(kind, events, config);
    requests.push(
      current
        ? { method: 'PUT', url: client.url(`hooks/${current.id}`), headers: client.headers(), body }
        : { method: 'POST', url: client.url('hooks'), headers: client.headers(), body },
    );
  }
  return requests;
}

interface SavedHook {
  template: string;
  id: number;
  action: 'created' | 'updated';
  /** With a Web hook's key masked. */
  payloadUrl: string;
}

async function saveHooks(client: FineractHooksClient, requests: PlannedRequest[]): Promise<SavedHook[]> {
  const hooks: SavedHook[] = [];
  for (const request of requests) {
    const payloadUrl = masked(request).body.config['Payload URL']!;
    if (request.method === 'PUT') {
      const id = Number(request.url.match(/hooks\/(\d+)$/)?.[1]);
      await guarded(() => client.updateHook(id, request.body));
      hooks.push({ template: request.body.name, id, action: 'updated', payloadUrl });
    } else {
      const id = await guarded(() => client.createHook(request.body));
      hooks.push({ template: request.body.name, id, action: 'created', payloadUrl });
    }
  }
  return hooks;
}

function printResult(
  out: Output,
  result: {
    tenantId: string;
    version: string | null;
    senderFamily: SenderFamily;
    hooks: SavedHook[];
    registration: string;
  },
): void {
  const { hooks, registration } = result;
  out.result(result, () => {
    out.table(
      ['hook', 'id', 'done', 'Payload URL'],
      hooks.map((h) => [h.template, h.id, h.action, h.payloadUrl]),
    );
    out.line(`registration: ${registration === 'registered' ? out.paint('green', registration) : registration}`);
    if (registration === 'pending') {
      out.line('The SMS Bridge hook registers on its first event: trigger one, then `tenants show` the tenant.');
    }
  });
}

async function openRuntime(context: CliContext, globals: GlobalOptions): Promise<CliRuntime> {
  const env = context.io.env;
  const aws = Boolean(globals.stack) || (!globals.local && Boolean(env.TENANTS_TABLE && env.QUEUE_URL));
  return context.openRuntime({
    target: aws ? 'aws' : 'local',
    stack: globals.stack,
    dataDir: globals.dataDir ?? env.DATA_DIR ?? './.data',
    env,
  });
}

/** The Web hook's key travels in its Payload URL (docs/protocol.md §4): the operator's, or a new one. */
async function webKey(options: ConnectOptions, runtime: CliRuntime | undefined): Promise<string> {
  if (options.apiKey) return options.apiKey;
  if (!runtime) return '<api-key>';
  // Ingest scope, issued alongside: a key in a Payload URL must not administer the tenant, and the SMS Bridge
  // hook's own key must keep working.
  const issued = await issueApiKey(runtime.tenants, runtime.clock, options.tenant, {
    label: 'fineract-connect',
    scope: 'ingest',
  });
  return issued.key;
}

/** Polls the tenant store until the tenant registered after `since`, for at most `seconds`. */
async function waitForRegistration(
  runtime: CliRuntime,
  tenantId: string,
  since: Date,
  seconds: number,
): Promise<'registered' | 'pending'> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const tenant = await runtime.tenants.getTenant(tenantId);
    if (tenant && Date.parse(tenant.updatedAt) >= since.getTime() - 1000) return 'registered';
    if (Date.now() >= deadline) return 'pending';
    await new Promise((resolve) => setTimeout(resolve, Math.min(2000, Math.max(0, deadline - Date.now()))));
  }
}

/** A refused login or a server error is this command failing (exit 1), with the server's reason. */
async function guarded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof FineractHooksError) throw new CommandFailedError(error.message);
    throw error;
  }
}
