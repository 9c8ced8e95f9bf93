import type { Logger } from '../../lambdas/core/ports';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogEntry {
  level: LogLevel;
  message: string;
  extra?: Record<string, unknown>;
}

/**
 * The one test logger: keeps every entry for assertions on levels and fields, and every line as the app would
 * print it (JSON, extras at the top level), serialised when logged. Tests search `text()` for secrets that must
 * never be logged.
 */
export class CapturingLogger implements Logger {
  readonly entries: LogEntry[] = [];
  readonly lines: string[] = [];

  debug(message: string, extra?: Record<string, unknown>): void {
    this.record('debug', message, extra);
  }

  info(message: string, extra?: Record<string, unknown>): void {
    this.record('info', message, extra);
  }

  warn(message: string, extra?: Record<string, unknown>): void {
    this.record('warn', message, extra);
  }

  error(message: string, extra?: Record<string, unknown>): void {
    this.record('error', message, extra);
  }

  at(level: LogLevel): LogEntry[] {
    return this.entries.filter((e) => e.level === level);
  }

  text(): string {
    return this.lines.join('\n');
  }

  private record(level: LogLevel, message: string, extra: Record<string, unknown> | undefined): void {
    this.entries.push({ level, message, extra });
    this.lines.push(JSON.stringify({ level: level.toUpperCase(), message, ...extra }));
  }
}
