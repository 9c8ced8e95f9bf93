import { type Command, Option } from 'commander';
import { AppError } from '../core/errors';
import { createTarget, parseTargetInput, rotateTargetSecret, sendTestEvent, targetView } from '../core/tenant-api';
import type { CliRuntime } from '../wiring/cli-runtime';
import { tenantIdArgument } from './arguments';
import { type CliContext, withRuntime } from './context';
import { CommandFailedError } from './errors';

interface AddOptions {
  url?: string;
  eventBus?: string;
  events?: string;
  includeFailed?: boolean;
  format?: string;
}

export function registerTargetCommands(program: Command, context: CliContext): void {
  const targets = program.command('targets').description('forwarding targets of a tenant (see README "Forwarding")');

  targets
    .command('add')
    .description('add an HTTPS or EventBridge target; prints its signing secret once')
    .addArgument(tenantIdArgument())
    .addOption(new Option('--url <url>', 'HTTPS endpoint that receives signed events'))
    .addOption(new Option('--event-bus <arn>', 'EventBridge bus ARN instead of a URL'))
    .addOption(new Option('--events <filters>', 'comma-separated: LOAN.REPAYMENT, LOAN.*, *.CREATE (default all)'))
    .addOption(new Option('--include-failed', 'also forward failed-command events'))
    .addOption(new Option('--format <format>', 'envelope or original').choices(['envelope', 'original']))
    .action(
      withRuntime(context, async (rt, out, [tenantId]: [string], options: AddOptions) => {
        const body = {
          url: options.url,
          eventBusArn: options.eventBus,
          events: options.events ? options.events.split(',').map((e) => e.trim()) : [],
          includeFailed: options.includeFailed === true,
          format: options.format,
        };
        const input = asCommandError(() =>
          parseTargetInput(Buffer.from(JSON.stringify(body)), rt.settings.allowPrivateEndpoints),
        );
        const { target, secret } = await createTarget(tenantId, input, rt);
        out.result({ ...targetView(target), secret }, () => {
          out.line(`Target ${target.targetId} added for ${tenantId}. Signing secret (shown once, store it now):`);
          out.line(secret);
        });
      }),
    );

  targets
    .command('list')
    .description('a tenant’s targets (never a secret)')
    .addArgument(tenantIdArgument())
    .action(
      withRuntime(context, async (rt, out, [tenantId]: [string]) => {
        const rows = (await rt.targets.listTargets(tenantId)).map(targetView);
        out.result({ targets: rows }, () =>
          out.table(
            ['target', 'kind', 'destination', 'events', 'failed too', 'format', 'status'],
            rows.map((t) => [
              t.targetId,
              t.kind,
              t.url ?? t.eventBusArn,
              t.events.join(',') || '*',
              String(t.includeFailed),
              t.format,
              t.disabledReason ? `${t.status} (${t.disabledReason})` : t.status,
            ]),
          ),
        );
      }),
    );

  targets
    .command('remove')
    .description('delete a target and its secret; it gets nothing more')
    .addArgument(tenantIdArgument())
    .argument('<targetId>', 'the target id')
    .action(
      withRuntime(context, async (rt, out, [tenantId, targetId]: [string, string]) => {
        await findTarget(rt, tenantId, targetId);
        await rt.targets.deleteTarget(tenantId, targetId);
        await rt.targetSecrets.deleteTargetSecrets(tenantId, targetId);
        out.result({ tenantId, targetId, removed: true }, () => out.line(`Target ${targetId} removed.`));
      }),
    );

  targets
    .command('rotate-secret')
    .description('a new signing secret (printed once); the old one keeps signing for 24 h')
    .addArgument(tenantIdArgument())
    .argument('<targetId>', 'the target id')
    .action(
      withRuntime(context, async (rt, out, [tenantId, targetId]: [string, string]) => {
        const target = await findTarget(rt, tenantId, targetId);
        const rotated = await rotateTargetSecret(target, rt);
        out.result({ targetId, ...rotated }, () => {
          out.line(`New secret for ${targetId} (shown once):`);
          out.line(rotated.secret);
          if (rotated.previousSecretValidUntil)
            out.line(`The old one also signs until ${rotated.previousSecretValidUntil}.`);
        });
      }),
    );

  targets
    .command('test')
    .description('send a signed webhook.test event now and show the answer')
    .addArgument(tenantIdArgument())
    .argument('<targetId>', 'the target id')
    .action(
      withRuntime(context, async (rt, out, [tenantId, targetId]: [string, string]) => {
        const target = await findTarget(rt, tenantId, targetId);
        const result = await sendTestEvent(target, rt);
        out.result(result, () =>
          out.fields(Object.fromEntries(Object.entries(result).map(([k, v]) => [k, String(v)]))),
        );
      }),
    );
}

async function findTarget(rt: CliRuntime, tenantId: string, targetId: string) {
  const target = await rt.targets.getTarget(tenantId, targetId);
  if (!target) throw new CommandFailedError(`No target ${targetId} for ${tenantId}.`);
  return target;
}

function asCommandError<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof AppError && error.expose) throw new CommandFailedError(error.message);
    throw error;
  }
}
