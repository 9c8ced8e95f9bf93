import { type Command, Option } from 'commander';
import { BadRequestError } from '../core/errors';
import {
  DEFAULT_FIND_SINCE,
  type EventTrace,
  type FindParameters,
  type FoundEvent,
  findEvents,
  parseFindQuery,
  traceEvent,
} from '../core/event-search';
import { systemClock } from '../core/clock';
import { parsePositiveInteger, tenantIdArgument } from './arguments';
import { type CliContext, withRuntime } from './context';
import { CommandFailedError, UsageError } from './errors';
import type { Output } from './output';

interface FindOptions {
  clientId?: string;
  loanId?: string;
  savingsId?: string;
  commandId?: string;
  phone?: string;
  since: string;
  entity?: string;
  action?: string;
  limit: number;
  cursor?: string;
}

/** `events find`: the tenant API's search (event-search.ts) with the same parameters and checks. */
export function registerFind(events: Command, context: CliContext): void {
  const command = events
    .command('find')
    .description('a tenant’s events by client, loan, savings account, command or phone number, newest first')
    .addArgument(tenantIdArgument())
    .option('--client-id <id>', 'events of this client')
    .option('--loan-id <id>', 'events of this loan')
    .option('--savings-id <id>', 'events of this savings account')
    .option('--command-id <id>', 'the event of this Fineract command')
    .option('--phone <number>', 'events texted to this number (international format, e.g. +254712345678)')
    .option('--since <when>', 'how far back: 7d, 24h, 30m or an ISO date', DEFAULT_FIND_SINCE)
    .option('--entity <ENTITY>', 'only this entity, e.g. LOAN')
    .option('--action <ACTION>', 'only this action, e.g. REPAYMENT')
    .addOption(new Option('--limit <n>', 'at most this many (1-100)').argParser(parsePositiveInteger).default(25))
    .option('--cursor <cursor>', 'the next page (nextCursor of an earlier --json answer)');
  // Checked before the runtime opens: a bad search is bad usage (exit 2), whatever the target.
  command.hook('preAction', (_program, action) => {
    queryOf(action.opts<FindOptions>());
  });
  command.action(
    withRuntime(context, async (rt, out, [tenantId]: [string], options: FindOptions) => {
      if (!rt.search || !rt.phones) throw new CommandFailedError('This target cannot search events.');
      const result = await findEvents(tenantId, queryOf(options), {
        search: rt.search,
        phones: rt.phones,
        messages: rt.messages,
        deliveries: rt.deliveries,
        clock: rt.clock,
      });
      out.result(result, () => printFound(out, result.events, result.nextCursor));
    }),
  );
}

function queryOf(options: FindOptions) {
  const params: FindParameters = {
    clientId: options.clientId,
    loanId: options.loanId,
    savingsId: options.savingsId,
    commandId: options.commandId,
    phone: options.phone,
    since: options.since,
    entity: options.entity,
    action: options.action,
    limit: options.limit === undefined ? undefined : String(options.limit),
    cursor: options.cursor,
  };
  const given = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as FindParameters;
  try {
    return parseFindQuery(given, systemClock.now());
  } catch (error) {
    if (error instanceof BadRequestError) throw new UsageError(cliWording(error.message));
    throw error;
  }
}

/** The API's parameter names as the CLI's flags. */
function cliWording(message: string): string {
  return message
    .replace(
      /\b(clientId|loanId|savingsId|commandId)\b/g,
      (name) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
    )
    .replace(/\b(phone|since|entity|action|limit|cursor)\b(?= must|,|\.)/g, '--$1');
}

function deliveryLines(out: Output, event: FoundEvent): string {
  return event.deliveries
    .map((d) =>
      d.channel === 'sms'
        ? `SMS ${d.to} ${d.sid ?? '(no SID)'} ${out.status(d.status)}${d.providerStatus && d.providerStatus !== d.status ? ` (${d.providerStatus})` : ''}`
        : `→ ${d.targetId} ${d.lastStatusCode ?? '-'} ${out.status(d.status)}`,
    )
    .join('\n');
}

function printFound(out: Output, events: FoundEvent[], nextCursor: string | null): void {
  out.table(
    ['received', 'event', 'status', 'deliveries', 'id'],
    events.map((e) => [
      e.receivedAt,
      `${e.entity}.${e.action}`,
      out.status(e.status),
      deliveryLines(out, e),
      e.eventId,
    ]),
  );
  if (nextCursor) out.note(`more: add --cursor ${nextCursor}`);
}

/** `events trace`: everything known of one event, in order. */
export function registerTrace(events: Command, context: CliContext): void {
  events
    .command('trace')
    .description('the whole story of one event: received, attempts, the SMS and its delivery reports, forwards')
    .addArgument(tenantIdArgument())
    .argument('<eventId>', 'the event id (from events find or events list)')
    .action(
      withRuntime(context, async (rt, out, [tenantId, eventId]: [string, string]) => {
        const trace = await traceEvent(tenantId, eventId, rt);
        if (!trace) throw new CommandFailedError(`No event ${eventId} for ${tenantId}.`);
        out.result(trace, () => printTrace(out, trace));
      }),
    );
}

function printTrace(out: Output, trace: NonNullable<EventTrace>): void {
  out.line(out.paint('bold', `${trace.event} ${trace.eventId} — ${out.status(trace.status)}`));
  out.fields({
    received: trace.received.at,
    hook: `${trace.received.hook}${trace.received.smsRequested ? ' (SMS requested)' : ''}`,
    sender: trace.received.senderVersion,
    body: trace.received.body,
    ids: Object.entries(trace.ids)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
    attempts: trace.attempts,
    'next attempt': trace.nextAttemptAt,
  });
  out.line();
  out.line(out.paint('bold', 'Attempts'));
  out.table(
    ['time', 'attempt', 'status', 'error'],
    trace.history.map((h) => [h.at, h.attempt, out.status(h.status), h.error]),
  );
  for (const m of trace.messages) {
    out.line();
    out.line(out.paint('bold', `SMS ${m.messageId}`));
    out.fields({
      to: m.to,
      template: m.template,
      text: m.body,
      segments: `${m.segments} (${m.encoding})`,
      'Twilio SID': m.sid,
      status: out.status(m.status),
      error: m.error,
    });
    out.table(
      ['time', 'provider status', 'error code'],
      m.providerHistory.map((p) => [p.at, p.status, p.errorCode]),
    );
  }
  if (trace.forwards.length > 0) {
    out.line();
    out.line(out.paint('bold', 'Forwards'));
    out.table(
      ['target', 'status', 'attempts', 'last status code', 'latency ms', 'next attempt', 'error'],
      trace.forwards.map((f) => [
        f.targetId,
        out.status(f.status),
        f.attempts,
        f.lastStatusCode,
        f.latencyMs,
        f.nextAttemptAt,
        f.error,
      ]),
    );
  }
}
