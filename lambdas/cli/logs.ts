/**
 * `logs tail`: the functions' log lines for one tenant or event, from CloudWatch Logs (`--stack`, the log group
 * outputs) or from the local server's `DATA_DIR/server.log` (`--local`), printed readably or raw with `--json`.
 */
import path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { CloudWatchLogReader } from '../adapters/cloudwatch-log-reader';
import { SERVER_LOG_FILE, readLocalLog } from '../adapters/local/file-log';
import type { LogFilter, LogLine } from '../adapters/log-lines';
import { readStackOutputs } from '../adapters/stack-outputs';
import { TENANT_ID_PATTERN } from '../core/identifiers';
import type { CliContext, GlobalOptions } from './context';
import { CommandFailedError, UsageError } from './errors';
import { Output } from './output';

interface TailOptions {
  tenant?: string;
  event?: string;
  since: number;
  follow?: boolean;
  interval: number;
  maxPolls?: number;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90s`, `10m`, `2h`, `7d` → seconds. */
export function parseDuration(value: string): number {
  const match = value.trim().match(/^(\d+)([smhd])$/);
  if (!match) throw new InvalidArgumentError('A duration is a number and s, m, h or d, e.g. 10m.');
  return Number(match[1]) * UNITS[match[2]!]!;
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('Expected a number >= 0.');
  return n;
}

/** A source that yields the lines not seen before on each call. */
type Poll = () => Promise<LogLine[]>;

export function registerLogCommands(program: Command, context: CliContext): void {
  const logs = program.command('logs').description('the receiver’s log lines');
  logs
    .command('tail')
    .description('log lines of the functions (or the local server), for one tenant or one event')
    .addOption(
      new Option('--tenant <id>', 'only this tenant’s lines').argParser((value: string) => {
        if (!TENANT_ID_PATTERN.test(value)) throw new InvalidArgumentError('1-64 letters, digits, "_" or "-".');
        return value;
      }),
    )
    .addOption(
      new Option('--event <eventId>', 'only this event’s lines').argParser((value: string) => {
        if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(value)) throw new InvalidArgumentError('Not an event id.');
        return value;
      }),
    )
    .addOption(
      new Option('--since <duration>', 'how far back, e.g. 10m, 2h, 1d').default(600, '10m').argParser(parseDuration),
    )
    .option('--follow', 'keep polling for new lines (Ctrl-C stops)')
    .addOption(
      new Option('--interval <seconds>', 'seconds between polls with --follow').default(5).argParser(nonNegative),
    )
    .addOption(new Option('--max-polls <n>', 'stop following after n polls').argParser(nonNegative).hideHelp())
    .action(async (options: TailOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const out = new Output(context.io, Boolean(globals.json));
      const filter: LogFilter = {
        tenantId: options.tenant,
        eventId: options.event,
        since: Date.now() - options.since * 1000,
      };
      const { poll, close, where } = await openSource(context, globals, filter);
      out.note(`reading ${where}`);
      try {
        await tail(out, poll, options);
      } finally {
        close();
      }
    });
}

async function openSource(
  context: CliContext,
  globals: GlobalOptions,
  filter: LogFilter,
): Promise<{ poll: Poll; close: () => void; where: string }> {
  if (globals.stack) {
    const outputs = await readStackOutputs(globals.stack);
    const groups = Object.fromEntries(
      Object.entries(outputs).flatMap(([key, value]) => {
        const match = key.match(/^(.+)LogGroupName$/);
        if (!match || key === 'ApiAccessLogGroupName') return [];
        return [[`${match[1]![0]!.toLowerCase()}${match[1]!.slice(1)}`, value]];
      }),
    );
    if (Object.keys(groups).length === 0)
      throw new CommandFailedError(`stack ${globals.stack} has no log group outputs`);
    const reader = new CloudWatchLogReader(groups);
    const seen = new Set<string>();
    let since = filter.since;
    const poll: Poll = async () => {
      const fresh = (await reader.read({ ...filter, since })).filter((line) => !seen.has(line.id));
      for (const line of fresh) {
        seen.add(line.id);
        since = Math.max(since, line.timestamp);
      }
      return fresh;
    };
    return { poll, close: () => reader.close(), where: `${Object.keys(groups).length} log groups of ${globals.stack}` };
  }
  if (!globals.local && context.io.env.TENANTS_TABLE) {
    throw new UsageError('logs tail reads a deployment’s log groups from its outputs: pass --stack NAME (or --local)');
  }
  const file = path.resolve(globals.dataDir ?? context.io.env.DATA_DIR ?? './.data', SERVER_LOG_FILE);
  let offset = 0;
  const poll: Poll = async () => {
    const read = readLocalLog(file, filter, offset);
    offset = read.offset;
    return read.lines;
  };
  return { poll, close: () => {}, where: file };
}

async function tail(out: Output, poll: Poll, options: TailOptions): Promise<void> {
  if (!options.follow) {
    const lines = await poll();
    out.result(lines.map(rawEvent), () => {
      for (const line of lines) out.line(readable(out, line));
      if (lines.length === 0) out.note('no matching log lines');
    });
    return;
  }
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  process.once('SIGINT', stop);
  try {
    for (let polls = 0; !stopped && (options.maxPolls === undefined || polls < options.maxPolls); polls++) {
      if (polls > 0) await new Promise((resolve) => setTimeout(resolve, options.interval * 1000));
      for (const line of await poll()) {
        out.line(out.json ? JSON.stringify(rawEvent(line)) : readable(out, line));
      }
    }
  } finally {
    process.removeListener('SIGINT', stop);
  }
}

function rawEvent(line: LogLine): Record<string, unknown> {
  return { timestamp: new Date(line.timestamp).toISOString(), source: line.source, message: line.raw };
}

/** `time level function message tenant=… event=… status=…` */
function readable(out: Output, line: LogLine): string {
  const f = line.fields;
  const time = new Date(line.timestamp).toISOString().replace('T', ' ').replace('Z', '');
  if (!f) return `${time} ${line.source.padEnd(12)} ${line.raw.trim()}`;
  const level = String(f.level ?? '').padEnd(5);
  const painted = /ERROR/.test(level)
    ? out.paint('red', level)
    : /WARN/.test(level)
      ? out.paint('yellow', level)
      : level;
  const extras = (
    [
      ['tenant', f.tenantId],
      ['event', f.eventId],
      ['status', f.status],
      ['error', f.error],
      ['request', f.apiRequestId],
    ] as const
  )
    .filter(([, value]) => value !== undefined && value !== null && value !== '')
    .map(([name, value]) => `${name}=${String(value)}`)
    .join(' ');
  return `${time} ${painted} ${line.source.padEnd(12)} ${messageOf(f)}${extras ? `  ${out.paint('dim', extras)}` : ''}`;
}

/**
 * The message of a line. Besides our lines, a JSON-format log group holds Lambda's own: the runtime's report of
 * an uncaught error (`message` is an object: errorType, errorMessage) and platform events at WARN (a timeout, a
 * crash: `type` and `record`, no message).
 */
function messageOf(f: Record<string, unknown>): string {
  const message = f.message;
  if (message && typeof message === 'object') {
    const error = message as { errorType?: unknown; errorMessage?: unknown };
    if (error.errorType !== undefined || error.errorMessage !== undefined) {
      return `${String(error.errorType ?? 'Error')}: ${String(error.errorMessage ?? '')}`;
    }
    return JSON.stringify(message);
  }
  if (message === undefined && typeof f.type === 'string') {
    const record = f.record as { status?: unknown; errorType?: unknown } | undefined;
    const detail = [record?.status, record?.errorType].filter((v) => v !== undefined).map(String);
    return [f.type, ...detail].join(' ');
  }
  return String(message ?? '');
}
