import { styleText } from 'node:util';
import { Presets, SingleBar } from 'cli-progress';
import Table from 'cli-table3';

export interface CliStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
  env: NodeJS.ProcessEnv;
  /** Where `--password-stdin` reads from; process.stdin when absent. */
  stdin?: AsyncIterable<string | Buffer>;
}

type Style = 'bold' | 'dim' | 'green' | 'red' | 'yellow' | 'cyan';
type Cell = string | number | boolean | null | undefined;

/**
 * Where a command's result goes: with `--json` one JSON document on stdout (for scripts), otherwise text and
 * tables for people, coloured only when stdout is a terminal (and NO_COLOR is unset). Notes go to stderr.
 */
export class Output {
  readonly colour: boolean;

  constructor(
    private readonly io: CliIo,
    readonly json: boolean,
  ) {
    this.colour = Boolean(io.stdout.isTTY) && !io.env.NO_COLOR && io.env.TERM !== 'dumb';
  }

  /** The command's result: `value` as JSON, or `human()` writes it for people. */
  result(value: unknown, human: () => void): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else human();
  }

  line(text = ''): void {
    this.io.stdout.write(`${text}\n`);
  }

  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  paint(style: Style, text: string): string {
    // Whether to colour is decided above from our own stdout; styleText would look at process.stdout instead.
    return this.colour ? styleText(style, text, { validateStream: false }) : text;
  }

  /** Event and message statuses: what went wrong in red, what is done in green. */
  status(status: string): string {
    if (/^(failed|dead|invalid-recipient|undelivered)$/.test(status)) return this.paint('red', status);
    if (/^(sent|delivered)$/.test(status)) return this.paint('green', status);
    if (/^(received|processing|retrying|pending|sending|queued)$/.test(status)) return this.paint('yellow', status);
    return status;
  }

  table(head: string[], rows: Cell[][]): void {
    if (rows.length === 0) {
      this.line(this.paint('dim', '(none)'));
      return;
    }
    const table = new Table({
      head: head.map((h) => this.paint('bold', h)),
      style: { head: [], border: this.colour ? ['grey'] : [], compact: true },
    });
    table.push(...rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '' : String(cell)))));
    this.line(table.toString());
  }

  /**
   * A progress bar on stderr for a long command, only for a person at a terminal: none with `--json` or when stderr
   * is not a TTY (a pipe, a CI log), so scripts read clean output.
   */
  progress(label: string): { update(done: number, total: number): void; stop(): void } {
    if (this.json || !this.io.stderr.isTTY) return { update() {}, stop() {} };
    const bar = new SingleBar(
      {
        stream: this.io.stderr as NodeJS.WritableStream,
        format: `${label} [{bar}] {value}/{total}`,
        hideCursor: true,
        clearOnComplete: false,
      },
      Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total) {
        if (!started) {
          bar.start(total, done);
          started = true;
        } else {
          bar.setTotal(total);
          bar.update(done);
        }
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }

  /** One record as aligned `name: value` lines. */
  fields(record: Record<string, Cell>): void {
    const width = Math.max(...Object.keys(record).map((k) => k.length));
    for (const [name, value] of Object.entries(record)) {
      this.line(`${this.paint('dim', `${name}:`.padEnd(width + 1))} ${value ?? ''}`);
    }
  }
}
