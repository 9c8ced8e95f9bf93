/**
 * The local server's log file, `DATA_DIR/server.log` (mode 0600): every line the server logs, as JSON, appended
 * as well as printed, so `logs tail --local` can read it back like CloudWatch.
 */
import { closeSync, existsSync, fchmodSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { Logger } from '../../core/ports';
import { type LogFilter, type LogLine, matches, parseFields } from '../log-lines';

export const SERVER_LOG_FILE = 'server.log';

type Level = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error'];

/**
 * A logger that hands every line to `inner` and appends it to `file` as one JSON line. The file stays open
 * (append mode; one write per line, in the file once the call returns): opening and closing it for every line
 * was a tenth of the local server's CPU per event.
 */
export function fileTeeLogger(
  inner: Logger,
  file: string,
  options: { now?: () => Date; minLevel?: string } = {},
): Logger {
  const now = options.now ?? (() => new Date());
  // The level the printed lines have (LOG_LEVEL): the file holds the same lines, so `logs tail --local` and the
  // bench's log bytes see what CloudWatch would.
  const named = (options.minLevel ?? 'info').toLowerCase();
  // TRACE is below DEBUG; CRITICAL and SILENT are above every level the port has.
  const floor =
    named === 'trace' ? 0 : LEVELS.includes(named as Level) ? LEVELS.indexOf(named as Level) : LEVELS.length;
  let fd: number | undefined;
  const write = (level: Level, message: string, extra?: Record<string, unknown>) => {
    if (LEVELS.indexOf(level) < floor) return;
    try {
      const line = `${JSON.stringify({ timestamp: now().toISOString(), level: level.toUpperCase(), message, ...extra })}\n`;
      if (fd === undefined) {
        fd = openSync(file, 'a', 0o600);
        // An existing file keeps the mode it was created with: make sure it is the owner's only.
        fchmodSync(fd, 0o600);
      }
      writeSync(fd, line);
    } catch {
      // The log file is a convenience: a full disk must not take the receiver down with it. Reopen next time.
      if (fd !== undefined) closeQuietly(fd);
      fd = undefined;
    }
  };
  const level =
    (name: Level) =>
    (message: string, extra?: Record<string, unknown>): void => {
      inner[name](message, extra);
      write(name, message, extra);
    };
  return { debug: level('debug'), info: level('info'), warn: level('warn'), error: level('error') };
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already gone.
  }
}

/** Lines of the local log from byte `offset` on that pass the filter, and the offset to read from next time. */
export function readLocalLog(file: string, filter: LogFilter, offset = 0): { lines: LogLine[]; offset: number } {
  if (!existsSync(file)) return { lines: [], offset };
  const buffer = readFileSync(file);
  const end = buffer.lastIndexOf(0x0a) + 1; // a half-written last line waits for the next read
  if (end <= offset) return { lines: [], offset };
  const lines: LogLine[] = [];
  let position = offset;
  for (const raw of buffer.subarray(offset, end).toString('utf8').split('\n')) {
    const id = String(position);
    position += Buffer.byteLength(raw) + 1;
    if (!raw) continue;
    const fields = parseFields(raw);
    const timestamp = Date.parse(String(fields?.timestamp ?? ''));
    if (Number.isNaN(timestamp) || timestamp < filter.since || !matches(fields, filter)) continue;
    lines.push({ timestamp, source: 'server', id, raw, fields });
  }
  return { lines, offset: end };
}
