import { type Command, Option } from 'commander';
import { eventView } from '../core/admin';
import { deliveryView } from '../core/tenant-api';
import type { EventStatus } from '../core/model';
import { replayEvents } from '../core/replay';
import { previewEventSms } from '../core/template-preview';
import type { CliRuntime } from '../wiring/cli-runtime';
import { registerFind, registerTrace } from './events-find';
import { collect, parsePositiveInteger, parseStatuses, tenantIdArgument } from './arguments';
import { type CliContext, withRuntime } from './context';
import { CommandFailedError } from './errors';
import type { Output } from './output';

export function registerEventCommands(program: Command, context: CliContext): void {
  const events = program.command('events').description('hook events of a tenant: list, inspect, re-drive');

  events
    .command('list')
    .description('a tenant’s events, newest first')
    .addArgument(tenantIdArgument())
    .addOption(new Option('--status <statuses>', 'only these statuses, comma-separated').argParser(parseStatuses))
    .addOption(new Option('--limit <n>', 'at most this many').argParser(parsePositiveInteger).default(25))
    .action(
      withRuntime(
        context,
        async (rt, out, [tenantId]: [string], options: { status?: EventStatus[]; limit: number }) => {
          const rows = await listEvents(rt, tenantId, options.status, options.limit);
          out.result(rows, () =>
            out.table(
              ['received', 'id', 'event', 'status', 'attempts', 'last error'],
              rows.map((r) => [
                r.createdOn,
                r.id,
                `${r.entity}.${r.action}`,
                out.status(r.status),
                r.attempts,
                r.lastError,
              ]),
            ),
          );
        },
      ),
    );

  events
    .command('show')
    .description('one event and its messages (recipient numbers left out)')
    .addArgument(tenantIdArgument())
    .argument('<eventId>', 'the event id')
    .action(
      withRuntime(context, async (rt, out, [tenantId, eventId]: [string, string]) => {
        const event = await rt.events.get(tenantId, eventId);
        if (!event) throw new CommandFailedError(`No event ${eventId} for ${tenantId}.`);
        const messages = (await rt.messages.listByEvent(tenantId, event.eventId)).map(({ to: _to, ...m }) => m);
        const deliveries = (await rt.deliveries.listByEvent(tenantId, event.eventId)).map(deliveryView);
        const view = eventView(event);
        out.result({ event: view, messages, deliveries }, () => {
          const { payload: _p, outcome: _o, ...fields } = view;
          out.fields({ ...fields, status: out.status(view.status), failedCommand: String(view.failedCommand) });
          out.table(
            ['message', 'template', 'status', 'Twilio SID', 'provider status', 'segments', 'error'],
            messages.map((m) => [
              m.messageId,
              m.templateKey,
              out.status(m.status),
              m.sid,
              m.providerStatus,
              m.segments,
              m.errorCode ? `${m.errorCode} ${m.errorMessage ?? ''}` : m.errorMessage,
            ]),
          );
          if (deliveries.length > 0) {
            out.table(
              ['target', 'status', 'attempts', 'last status', 'latency ms', 'next attempt', 'error'],
              deliveries.map((d) => [
                d.targetId,
                out.status(d.status),
                d.attempts,
                d.lastStatusCode,
                d.latencyMs,
                d.nextAttemptAt,
                d.error,
              ]),
            );
          }
        });
      }),
    );

  for (const name of ['resend', 'replay'] as const) registerReplay(events, name, context);
  registerFind(events, context);
  registerTrace(events, context);
}

async function listEvents(rt: CliRuntime, tenantId: string, statuses: EventStatus[] | undefined, limit: number) {
  const rows: ReturnType<typeof eventView>[] = [];
  let cursor: string | undefined;
  do {
    const page = await rt.events.listByTenant(tenantId, { limit: 100, cursor });
    for (const e of page.items) if (!statuses || statuses.includes(e.status)) rows.push(eventView(e));
    cursor = page.nextCursor;
  } while (cursor && rows.length < limit);
  return rows.slice(0, limit).map(({ payload: _p, outcome: _o, ...row }) => row);
}

interface ReplayCommandOptions {
  event?: string[];
  status?: EventStatus[];
  dryRun?: boolean;
}

/** `resend` (the bridge's `_resend`) and `replay` are one command under two names, as they always were. */
function registerReplay(events: Command, name: 'resend' | 'replay', context: CliContext): void {
  events
    .command(name)
    .description(
      name === 'resend'
        ? 're-drive failed and dead events (the bridge’s _resend)'
        : 're-drive events; with --dry-run, show what would be sent',
    )
    .addArgument(tenantIdArgument())
    .option('--event <eventId>', 'only this event (repeatable)', collect)
    .addOption(
      new Option('--status <statuses>', 'statuses to re-drive, comma-separated (default failed,dead)').argParser(
        parseStatuses,
      ),
    )
    .option('--dry-run', 'change nothing; show each event and the SMS it would produce')
    .action(
      withRuntime(context, async (rt, out, [tenantId]: [string], options: ReplayCommandOptions) => {
        const dryRun = Boolean(options.dryRun);
        const progress = dryRun ? undefined : out.progress(name === 'resend' ? 'Resending' : 'Replaying');
        const replayed = await replayEvents(
          tenantId,
          { statuses: options.status, eventIds: options.event, dryRun, onProgress: progress?.update },
          rt,
        ).finally(() => progress?.stop());
        if (dryRun) return printDryRun(rt, out, tenantId, replayed);
        const ids = replayed.map((e) => e.eventId);
        const pickup = rt.target.startsWith('local') ? ' (the running server picks them up within seconds)' : '';
        out.result({ tenantId, replayed: ids.length, eventIds: ids }, () =>
          out.line(`${ids.length} event(s) re-driven${pickup}.`),
        );
      }),
    );
}

async function printDryRun(
  rt: CliRuntime,
  out: Output,
  tenantId: string,
  events: Awaited<ReturnType<typeof replayEvents>>,
): Promise<void> {
  const overrides = await rt.tenants.getTemplates(tenantId);
  // Rendered from the stored events alone: no call to the sender, so all at once.
  const rows = await Promise.all(
    events.map(async (e) => ({
      id: e.eventId,
      entity: e.entity,
      action: e.action,
      status: e.status,
      lastError: e.lastError ?? null,
      wouldSend: (await previewEventSms(e, overrides)) ?? '(no SMS)',
    })),
  );
  out.result(rows, () =>
    out.table(
      ['id', 'event', 'status', 'last error', 'would send'],
      rows.map((r) => [r.id, `${r.entity}.${r.action}`, out.status(r.status), r.lastError, r.wouldSend]),
    ),
  );
}
