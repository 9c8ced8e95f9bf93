/**
 * Operator CLI. Against AWS: `--stack <name>` (reads the stack outputs) or TENANTS_TABLE/EVENTS_TABLE/QUEUE_URL/
 * SECRET_PREFIX, with your own AWS credentials. Against a local server: `--local` (DATA_DIR, default ./.data).
 * Run `npm run cli -- help` for the commands.
 */
import { parseArgs } from 'node:util';
import { type CliRuntime, openCliRuntime } from '../lambdas/adapters/cli-runtime';
import { eventView } from '../lambdas/core/admin';
import { maskSid } from '../lambdas/core/redaction';
import { EVENT_STATUSES, type EventStatus } from '../lambdas/core/model';
import { isValidDefaultCountry } from '../lambdas/core/phone';
import { isMessagingServiceSid, TENANT_ID_PATTERN } from '../lambdas/core/identifiers';
import { replayEvents } from '../lambdas/core/replay';
import { hookFromStored } from '../lambdas/core/stored-event';
import { gatherSmsData } from '../lambdas/core/sms-data';
import { issueApiKey } from '../lambdas/core/api-keys';
import {
  DEFAULT_TEMPLATES,
  renderTemplate,
  resolveTemplate,
  TEMPLATE_VARIABLES,
  templateKey,
  validateTemplate,
  variablesOf,
} from '../lambdas/core/templates';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const HELP = `Usage: npm run cli -- <command> [options]      (target: --local [--data-dir DIR] | --stack NAME | env)

tenants create <tenantId>                  new tenant + API key (printed once), for Web hooks or manual setup
tenants enroll <tenantId> [--endpoint-prefix URL]   allow it to register its SMS Bridge hook (AWS)
tenants unenroll <tenantId>
tenants list | show <tenantId>
tenants set <tenantId> [--default-country KE|254] [--messaging-service MG…]
tenants rotate-key <tenantId> [--grace-hours 24]  new key; older keys keep working for the grace period
templates list <tenantId>                  effective templates (defaults and overrides) and the variables
templates set <tenantId> <ENTITY.ACTION> <template>   Mustache; an empty template silences that event
templates unset <tenantId> <ENTITY.ACTION>
templates preview <tenantId> <ENTITY.ACTION> [--event <eventId>]  render with a stored event or sample data
events list <tenantId> [--status S] [--limit N]
events show <tenantId> <eventId>
events resend <tenantId> [--event ID]... [--status failed,dead]   re-drive failed/dead events
events replay <tenantId> [--event ID]... [--status …] [--dry-run] same, --dry-run shows what would be sent
dlq redrive                                move dead-lettered queue messages back (AWS)`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function need(value: string | undefined, what: string): string {
  if (!value) fail(`Missing ${what}.\n\n${HELP}`);
  return value;
}

function out(value: unknown): void {
  process.stdout.write(typeof value === 'string' ? `${value}\n` : `${JSON.stringify(value, null, 2)}\n`);
}

function tenantArg(value: string | undefined): string {
  const id = need(value, '<tenantId>');
  if (!TENANT_ID_PATTERN.test(id)) fail('A tenant id is 1-64 letters, digits, "_" or "-".');
  return id;
}

function statusesOf(value: string | undefined): EventStatus[] | undefined {
  if (!value) return undefined;
  const list = value.split(',').map((s) => s.trim()) as EventStatus[];
  for (const s of list)
    if (!EVENT_STATUSES.includes(s)) fail(`Unknown status "${s}"; one of ${EVENT_STATUSES.join(', ')}.`);
  return list;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      local: { type: 'boolean' },
      'data-dir': { type: 'string' },
      stack: { type: 'string' },
      'endpoint-prefix': { type: 'string' },
      'default-country': { type: 'string' },
      'messaging-service': { type: 'string' },
      'grace-hours': { type: 'string' },
      status: { type: 'string' },
      limit: { type: 'string' },
      event: { type: 'string', multiple: true },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [group, command, ...args] = positionals;
  if (!group || values.help || group === 'help') return out(HELP);

  const aws = Boolean(values.stack) || (!values.local && Boolean(process.env.TENANTS_TABLE && process.env.QUEUE_URL));
  const rt = await openCliRuntime({
    target: aws ? 'aws' : 'local',
    stack: values.stack,
    dataDir: values['data-dir'] ?? process.env.DATA_DIR ?? './.data',
  });
  process.stderr.write(`target: ${rt.target}\n`);
  try {
    await run(rt, group, command, args, values);
  } finally {
    await rt.close();
  }
}

type Values = Record<string, string | boolean | string[] | undefined>;

async function run(
  rt: CliRuntime,
  group: string,
  command: string | undefined,
  args: string[],
  values: Values,
): Promise<void> {
  const now = rt.clock.now().toISOString();
  switch (`${group} ${command ?? ''}`.trim()) {
    case 'tenants create': {
      const tenantId = tenantArg(args[0]);
      await rt.tenants.putEnrollment({ tenantId, enrolledAt: now });
      const issued = await issueApiKey(rt.tenants, rt.clock, tenantId, {
        graceSeconds: rt.settings.keyGraceSeconds,
        label: 'cli',
      });
      out(`Tenant ${tenantId} ready. API key (shown once, store it now):\n${issued.key}`);
      out(`fingerprint ${issued.fingerprint}; Web hook Payload URL: <receiver>/hooks/${issued.key}/`);
      return;
    }
    case 'tenants enroll': {
      const tenantId = tenantArg(args[0]);
      const prefix = values['endpoint-prefix'] as string | undefined;
      if (prefix && !/^https?:\/\//.test(prefix)) fail('--endpoint-prefix must be an http(s) URL prefix.');
      await rt.tenants.putEnrollment({ tenantId, endpointPrefix: prefix, enrolledAt: now });
      return out(
        `Tenant ${tenantId} enrolled${prefix ? ` for endpoints under ${prefix}` : ''}: its SMS Bridge hook may register now.`,
      );
    }
    case 'tenants unenroll':
      await rt.tenants.deleteEnrollment(tenantArg(args[0]));
      return out('Enrollment removed (existing keys keep working until deleted).');
    case 'tenants list':
      return out(
        (await rt.tenants.listTenants()).map((t) => ({
          tenantId: t.tenantId,
          phoneNo: t.phoneNo,
          endpoint: t.endpoint,
          credentialsValid: !t.credentialsInvalidAt,
          updatedAt: t.updatedAt,
        })),
      );
    case 'tenants show': {
      const tenantId = tenantArg(args[0]);
      const config = await rt.tenants.getTenant(tenantId);
      const keys = await rt.tenants.listApiKeys(tenantId);
      return out({
        config: config ? { ...config, accountSid: maskSid(config.accountSid) } : null,
        enrollment: (await rt.tenants.getEnrollment(tenantId)) ?? null,
        keys: keys.map((k) => ({
          fingerprint: k.fingerprint,
          createdAt: k.createdAt,
          expiresAt: k.expiresAt ?? null,
          label: k.label,
        })),
      });
    }
    case 'tenants set': {
      const tenantId = tenantArg(args[0]);
      const config = await rt.tenants.getTenant(tenantId);
      if (!config) fail(`Tenant ${tenantId} has no SMS Bridge registration yet.`);
      const country = values['default-country'] as string | undefined;
      const service = values['messaging-service'] as string | undefined;
      if (country !== undefined && country !== '' && !isValidDefaultCountry(country))
        fail('--default-country is an ISO code (KE) or a calling code (254).');
      if (service !== undefined && service !== '' && !isMessagingServiceSid(service))
        fail('--messaging-service is a Twilio Messaging Service SID (MG…).');
      const updated = {
        ...config,
        ...(country !== undefined ? { defaultCountry: country || undefined } : {}),
        ...(service !== undefined
          ? {
              messagingServiceSid: service || undefined,
              messagingServiceSidSource: service ? ('cli' as const) : undefined,
            }
          : {}),
        updatedAt: now,
      };
      await rt.tenants.putTenant(updated);
      return out(
        `Tenant ${tenantId}: default country ${updated.defaultCountry ?? '(none)'}, messaging service ${updated.messagingServiceSid ?? '(none)'}.`,
      );
    }
    case 'tenants rotate-key': {
      const tenantId = tenantArg(args[0]);
      const hours = Number(values['grace-hours'] ?? rt.settings.keyGraceSeconds / 3600);
      const issued = await issueApiKey(rt.tenants, rt.clock, tenantId, {
        graceSeconds: hours * 3600,
        label: 'rotation',
      });
      out(`New API key for ${tenantId} (shown once):\n${issued.key}`);
      return out(
        issued.previousKeysValidUntil
          ? `Previous keys stop working at ${issued.previousKeysValidUntil}.`
          : 'No previous keys.',
      );
    }
    case 'templates list': {
      const tenantId = tenantArg(args[0]);
      const overrides = await rt.tenants.getTemplates(tenantId);
      const keys = [...new Set([...Object.keys(DEFAULT_TEMPLATES), ...Object.keys(overrides)])].sort();
      return out({
        templates: keys.map((key) => ({
          key,
          template: resolveTemplate(key, overrides) ?? '(silenced)',
          source: Object.hasOwn(overrides, key) ? 'tenant' : 'default',
        })),
        'SMS.SEND': 'sent verbatim (MifosX user-defined templates)',
        variables: TEMPLATE_VARIABLES,
      });
    }
    case 'templates set': {
      const tenantId = tenantArg(args[0]);
      const key = need(args[1], '<ENTITY.ACTION>').toUpperCase();
      if (!/^[A-Z0-9_]+\.[A-Z0-9_]+$/.test(key)) fail('The key is ENTITY.ACTION, e.g. LOAN.REPAYMENT.');
      const template = args[2] ?? fail('Missing <template> (quote it; "" silences the event).');
      try {
        validateTemplate(template);
      } catch (error) {
        fail(`Not a valid Mustache template: ${(error as Error).message}`);
      }
      const unknown = [...variablesOf(template)].filter(
        (v) => !(v in TEMPLATE_VARIABLES) && v !== 'name' && v !== 'account',
      );
      await rt.tenants.putTemplate(tenantId, key, template);
      out(template === '' ? `${key} silenced for ${tenantId}.` : `${key} template set for ${tenantId}.`);
      if (unknown.length) out(`Note: unknown variables render empty: ${unknown.join(', ')}`);
      return;
    }
    case 'templates unset': {
      const tenantId = tenantArg(args[0]);
      const key = need(args[1], '<ENTITY.ACTION>').toUpperCase();
      await rt.tenants.deleteTemplate(tenantId, key);
      return out(`${key} for ${tenantId} back to the default.`);
    }
    case 'templates preview': {
      const tenantId = tenantArg(args[0]);
      const key = need(args[1], '<ENTITY.ACTION>').toUpperCase();
      const template = resolveTemplate(key, await rt.tenants.getTemplates(tenantId));
      if (!template) return out(`${key}: no template, such events are stored as "ignored".`);
      const eventId = (values.event as string[] | undefined)?.[0];
      let view: Record<string, unknown>;
      if (eventId) {
        const event = await rt.events.get(tenantId, eventId);
        if (!event) fail(`No event ${eventId} for ${tenantId}.`);
        view = (await gatherSmsData(hookFromStored(event), { needed: variablesOf(template) })).view;
      } else {
        const [entity = '', action = ''] = key.split('.');
        view = {
          clientName: 'Jane Doe',
          name: 'Jane Doe',
          firstName: 'Jane',
          lastName: 'Doe',
          accountNo: '000000007',
          account: '000000007',
          amount: '500',
          date: '24 October 2024',
          officeName: 'Head Office',
          tenantId,
          entity,
          action,
        };
      }
      return out(renderTemplate(template, view));
    }
    case 'events list': {
      const tenantId = tenantArg(args[0]);
      const statuses = statusesOf(values.status as string | undefined);
      const limit = Number(values.limit ?? 25);
      const rows: ReturnType<typeof eventView>[] = [];
      let cursor: string | undefined;
      do {
        const page = await rt.events.listByTenant(tenantId, { limit: 100, cursor });
        for (const e of page.items) if (!statuses || statuses.includes(e.status)) rows.push(eventView(e));
        cursor = page.nextCursor;
      } while (cursor && rows.length < limit);
      return out(rows.slice(0, limit).map(({ payload: _p, outcome: _o, ...row }) => row));
    }
    case 'events show': {
      const tenantId = tenantArg(args[0]);
      const event = await rt.events.get(tenantId, need(args[1], '<eventId>'));
      if (!event) fail('No such event.');
      const messages = await rt.messages.listByEvent(tenantId, event.eventId);
      return out({ event: eventView(event), messages: messages.map(({ to: _to, ...m }) => m) });
    }
    case 'events resend':
    case 'events replay': {
      const tenantId = tenantArg(args[0]);
      const dryRun = Boolean(values['dry-run']);
      const events = await replayEvents(
        tenantId,
        {
          statuses: statusesOf(values.status as string | undefined),
          eventIds: values.event as string[] | undefined,
          dryRun,
        },
        rt,
      );
      if (dryRun) {
        const overrides = await rt.tenants.getTemplates(tenantId);
        const rows = [];
        for (const e of events) {
          const template = resolveTemplate(templateKey(e.entity, e.action), overrides);
          // Rendered from the stored event alone: data the worker would fetch from the sender shows as blanks.
          const view = template ? (await gatherSmsData(hookFromStored(e), { needed: variablesOf(template) })).view : {};
          rows.push({
            id: e.eventId,
            entity: e.entity,
            action: e.action,
            status: e.status,
            lastError: e.lastError ?? null,
            wouldSend: template ? renderTemplate(template, view) : '(no SMS)',
          });
        }
        return out(rows);
      }
      return out(
        `${events.length} event(s) re-driven${rt.target.startsWith('local') ? ' (the running server picks them up within seconds)' : ''}.`,
      );
    }
    case 'dlq redrive': {
      if (!rt.redriveDeadLetters)
        fail('Local mode keeps dead letters in the server process; use `events resend` for dead events.');
      return out(`DLQ redrive started: ${await rt.redriveDeadLetters()}`);
    }
    default:
      fail(`Unknown command "${group} ${command ?? ''}".\n\n${HELP}`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
