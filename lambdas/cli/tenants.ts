import { type Command, Option } from 'commander';
import { maskSid } from '../core/redaction';
import { issueApiKey, scopeOf } from '../core/api-keys';
import {
  parseDefaultCountry,
  parseEndpointPrefix,
  parseHours,
  parseMessagingService,
  tenantIdArgument,
} from './arguments';
import { type CliContext, withRuntime } from './context';
import { CommandFailedError } from './errors';
import { AppError } from '../core/errors';
import { parseCidrList } from '../core/root-web-hooks';

function asCliError<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof AppError) throw new CommandFailedError(error.message);
    throw error;
  }
}

export function registerTenantCommands(program: Command, context: CliContext): void {
  const tenants = program.command('tenants').description('tenants, their enrollment, settings and API keys');

  tenants
    .command('create')
    .description('enroll a tenant and issue two API keys (printed once): an ingest key for Web hooks, an admin key')
    .addArgument(tenantIdArgument())
    .action(
      withRuntime(context, async (rt, out, [tenantId]: [string]) => {
        await rt.tenants.putEnrollment({ tenantId, enrolledAt: rt.clock.now().toISOString() });
        const admin = await issueApiKey(rt.tenants, rt.clock, tenantId, {
          graceSeconds: rt.settings.keyGraceSeconds,
          label: 'cli',
          scope: 'admin',
        });
        // Issued alongside the admin key: it must not cut that one's life short.
        const ingest = await issueApiKey(rt.tenants, rt.clock, tenantId, { label: 'cli', scope: 'ingest' });
        const webhookPayloadUrl = `${rt.settings.publicBaseUrl ?? '<receiver>'}/hooks/${ingest.key}/`;
        const result = {
          tenantId,
          // `apiKey` is the admin key of the tenant API; the Web hook's Payload URL carries the ingest-only key.
          apiKey: admin.key,
          webPayloadUrl: webhookPayloadUrl,
          // The name scripts written before the tenant API read.
          webhookPayloadUrl,
          ingestKey: { key: ingest.key, fingerprint: ingest.fingerprint, scope: 'ingest' },
          adminKey: { key: admin.key, fingerprint: admin.fingerprint, scope: 'admin' },
        };
        out.result(result, () => {
          out.line(`Tenant ${tenantId} ready. Two API keys, shown once: store them now.`);
          out.line(`ingest key (Web hook Payload URL; can only send hook events):\n${ingest.key}`);
          out.line(`  fingerprint ${ingest.fingerprint}; Web hook Payload URL: ${webhookPayloadUrl}`);
          out.line(`admin key (tenant API, configuration, events, resend; keep it out of hook URLs):\n${admin.key}`);
          out.line(`  fingerprint ${admin.fingerprint}`);
        });
      }),
    );

  tenants
    .command('enroll')
    .description('allow a tenant to register its SMS Bridge hook (needed unless enrollment is open)')
    .addArgument(tenantIdArgument())
    .addOption(
      new Option('--endpoint-prefix <url>', 'only accept endpoints under this URL').argParser(parseEndpointPrefix),
    )
    .addOption(
      new Option(
        '--replace',
        'let ONE registration from another Twilio account or endpoint replace the current owner (every old key stops working)',
      ),
    )
    .addOption(
      new Option('--replace-hours <hours>', 'how long the --replace stays usable').default(24).argParser(parseHours),
    )
    .action(
      withRuntime(
        context,
        async (
          rt,
          out,
          [tenantId]: [string],
          options: { endpointPrefix?: string; replace?: boolean; replaceHours: number },
        ) => {
          const prefix = options.endpointPrefix;
          const now = rt.clock.now();
          const replaceUntil = options.replace
            ? new Date(now.getTime() + options.replaceHours * 3600_000).toISOString()
            : undefined;
          await rt.tenants.putEnrollment({
            tenantId,
            endpointPrefix: prefix,
            enrolledAt: now.toISOString(),
            ...(replaceUntil ? { replaceUntil } : {}),
          });
          out.result(
            { tenantId, enrolled: true, endpointPrefix: prefix ?? null, ...(replaceUntil ? { replaceUntil } : {}) },
            () => {
              out.line(
                `Tenant ${tenantId} enrolled${prefix ? ` for endpoints under ${prefix}` : ''}: its SMS Bridge hook may register now.`,
              );
              if (replaceUntil)
                out.line(
                  `One registration until ${replaceUntil} may replace the current owner; every key of the old owner then stops working.`,
                );
            },
          );
        },
      ),
    );

  tenants
    .command('unenroll')
    .description('remove a tenant’s enrollment (its keys keep working until deleted)')
    .addArgument(tenantIdArgument())
    .action(
      withRuntime(context, async (rt, out, [tenantId]: [string]) => {
        await rt.tenants.deleteEnrollment(tenantId);
        out.result({ tenantId, enrolled: false }, () =>
          out.line('Enrollment removed (existing keys keep working until deleted).'),
        );
      }),
    );

  registerList(tenants, context);
  registerShow(tenants, context);
  registerSet(tenants, context);
  registerRotateKey(tenants, context);
}

function registerList(tenants: Command, context: CliContext): void {
  tenants
    .command('list')
    .description('registered tenants')
    .action(
      withRuntime(context, async (rt, out) => {
        const rows = (await rt.tenants.listTenants()).map((t) => ({
          tenantId: t.tenantId,
          phoneNo: t.phoneNo,
          endpoint: t.endpoint,
          credentialsValid: !t.credentialsInvalidAt,
          updatedAt: t.updatedAt,
        }));
        out.result(rows, () =>
          out.table(
            ['tenant', 'phone', 'endpoint', 'credentials', 'updated'],
            rows.map((r) => [
              r.tenantId,
              r.phoneNo,
              r.endpoint,
              r.credentialsValid ? 'valid' : out.paint('red', 'invalid'),
              r.updatedAt,
            ]),
          ),
        );
      }),
    );
}

function registerShow(tenants: Command, context: CliContext): void {
  tenants
    .command('show')
    .description('a tenant’s registration (no secrets), enrollment and key fingerprints')
    .addArgument(tenantIdArgument())
    .action(
      withRuntime(context, async (rt, out, [tenantId]: [string]) => {
        const config = await rt.tenants.getTenant(tenantId);
        const enrollment = (await rt.tenants.getEnrollment(tenantId)) ?? null;
        const keys = (await rt.tenants.listApiKeys(tenantId)).map((k) => ({
          fingerprint: k.fingerprint,
          scope: scopeOf(k),
          createdAt: k.createdAt,
          expiresAt: k.expiresAt ?? null,
          label: k.label,
        }));
        const shown = config ? { ...config, accountSid: maskSid(config.accountSid) } : null;
        out.result({ config: shown, enrollment, keys }, () => {
          if (shown) out.fields(shown as unknown as Record<string, string>);
          else out.line(`Tenant ${tenantId} has no SMS Bridge registration.`);
          out.line(
            enrollment
              ? `enrolled ${enrollment.enrolledAt}${enrollment.endpointPrefix ? ` for ${enrollment.endpointPrefix}` : ''}`
              : 'not enrolled',
          );
          out.table(
            ['key fingerprint', 'scope', 'created', 'expires', 'label'],
            keys.map((k) => [k.fingerprint, k.scope, k.createdAt, k.expiresAt ?? 'never', k.label]),
          );
        });
      }),
    );
}

function registerSet(tenants: Command, context: CliContext): void {
  tenants
    .command('set')
    .description('per-tenant SMS settings ("" clears one)')
    .addArgument(tenantIdArgument())
    .addOption(
      new Option(
        '--default-country <code>',
        'country of numbers without "+": ISO code (KE) or calling code (254)',
      ).argParser(parseDefaultCountry),
    )
    .addOption(
      new Option('--messaging-service <sid>', 'send through this Twilio Messaging Service (MG…)').argParser(
        parseMessagingService,
      ),
    )
    .addOption(
      new Option(
        '--root-web-hooks-from <cidrs>',
        'accept keyless Fineract 1.5–1.6 Web hooks at the host root from these CIDRs ("" clears)',
      ).argParser((value: string) => asCliError(() => parseCidrList(value))),
    )
    .action(
      withRuntime(
        context,
        async (
          rt,
          out,
          [tenantId]: [string],
          options: { defaultCountry?: string; messagingService?: string; rootWebHooksFrom?: string[] },
        ) => {
          if (options.rootWebHooksFrom !== undefined) {
            const enrollment = (await rt.tenants.getEnrollment(tenantId)) ?? {
              tenantId,
              enrolledAt: rt.clock.now().toISOString(),
            };
            const cidrs = options.rootWebHooksFrom;
            const { rootWebHooksFrom: _old, ...rest } = enrollment;
            await rt.tenants.putEnrollment(cidrs.length ? { ...rest, rootWebHooksFrom: cidrs } : rest);
            if (options.defaultCountry === undefined && options.messagingService === undefined) {
              out.result({ tenantId, rootWebHooksFrom: cidrs }, () =>
                out.line(
                  cidrs.length
                    ? `Keyless root Web hooks of ${tenantId} accepted from ${cidrs.join(', ')}.`
                    : `Keyless root Web hooks of ${tenantId} refused.`,
                ),
              );
              return;
            }
          }
          const config = await rt.tenants.getTenant(tenantId);
          if (!config) throw new CommandFailedError(`Tenant ${tenantId} has no SMS Bridge registration yet.`);
          const country = options.defaultCountry;
          const service = options.messagingService;
          const updated = {
            ...config,
            ...(country !== undefined ? { defaultCountry: country || undefined } : {}),
            ...(service !== undefined
              ? {
                  messagingServiceSid: service || undefined,
                  messagingServiceSidSource: service ? ('cli' as const) : undefined,
                }
              : {}),
            updatedAt: rt.clock.now().toISOString(),
          };
          await rt.tenants.putTenant(updated);
          const result = {
            tenantId,
            defaultCountry: updated.defaultCountry ?? null,
            messagingServiceSid: updated.messagingServiceSid ?? null,
          };
          out.result(result, () =>
            out.line(
              `Tenant ${tenantId}: default country ${result.defaultCountry ?? '(none)'}, messaging service ${result.messagingServiceSid ?? '(none)'}.`,
            ),
          );
        },
      ),
    );
}

function registerRotateKey(tenants: Command, context: CliContext): void {
  tenants
    .command('rotate-key')
    .description('issue a new API key; older keys keep working for the grace period')
    .addArgument(tenantIdArgument())
    .addOption(
      new Option('--grace-hours <hours>', 'how long older keys keep working (default: KEY_GRACE_SECONDS)').argParser(
        parseHours,
      ),
    )
    .action(
      withRuntime(context, async (rt, out, [tenantId]: [string], options: { graceHours?: number }) => {
        const hours = options.graceHours ?? rt.settings.keyGraceSeconds / 3600;
        // The registration current now: events the new key brings let the worker keep using its cached config.
        const config = await rt.tenants.getTenant(tenantId);
        const issued = await issueApiKey(rt.tenants, rt.clock, tenantId, {
          graceSeconds: hours * 3600,
          label: 'rotation',
          scope: 'admin',
          registrationId: config?.registrationId,
        });
        const until = issued.previousKeysValidUntil ?? null;
        out.result(
          { tenantId, apiKey: issued.key, fingerprint: issued.fingerprint, previousKeysValidUntil: until },
          () => {
            out.line(`New API key for ${tenantId} (shown once):\n${issued.key}`);
            out.line(until ? `Previous keys stop working at ${until}.` : 'No previous keys.');
          },
        );
      }),
    );
}
