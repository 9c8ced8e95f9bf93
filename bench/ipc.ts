/**
 * A tiny request/reply protocol over Node's IPC channel, so the benchmark can run each server (and the fakes) in
 * its own process, started through tsx like `npm start`, and still ask it things (its URL, how many events it
 * stored, to stop).
 */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';

interface RpcRequest {
  id: number;
  cmd: string;
  args?: unknown;
}

interface RpcReply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

type Handler = (args: unknown) => unknown;

export const REPO_ROOT = path.resolve(__dirname, '..');

/** Child side: answers the parent's calls; `stop` exits the process once its reply is sent. */
export function serveRpc(handlers: Record<string, Handler>): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('this script is started by bench/run.ts (it needs an IPC channel)');
  process.on('message', (message: RpcRequest) => {
    void (async () => {
      let reply: RpcReply;
      try {
        const handler = handlers[message.cmd];
        if (!handler) throw new Error(`unknown command ${message.cmd}`);
        reply = { id: message.id, ok: true, result: await handler(message.args) };
      } catch (error) {
        reply = {
          id: message.id,
          ok: false,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        };
      }
      send(reply, undefined, {}, () => {
        if (message.cmd === 'stop') process.exit(0);
      });
    })();
  });
  // The parent went away (crash, Ctrl-C): do not linger.
  process.on('disconnect', () => process.exit(0));
  send({ ready: true });
}

/** Parent side: one child process started as `node --import tsx <script>`, so its pid is the server itself. */
export class ChildProcessHandle {
  /** Every child still running, for the watchdog. */
  static readonly live = new Set<ChildProcessHandle>();
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly stderr: string[] = [];
  private exited = false;
  private readonly exit: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    this.exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exited = true;
        ChildProcessHandle.live.delete(this);
        for (const p of this.pending.values())
          p.reject(new Error(`${name} exited (${code ?? signal})\n${this.stderrTail()}`));
        this.pending.clear();
        resolve();
      });
    });
    child.on('message', (message: RpcReply) => {
      const p = this.pending.get(message.id);
      if (!p) return;
      this.pending.delete(message.id);
      if (message.ok) p.resolve(message.result);
      else p.reject(new Error(`${name}: ${message.error}`));
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderr.push(chunk);
      if (this.stderr.length > 50) this.stderr.shift();
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Starts `bench/<script>` with tsx; stdout is discarded (the receiver logs a JSON line per event). */
  static async start(name: string, script: string, env: NodeJS.ProcessEnv = {}): Promise<ChildProcessHandle> {
    const child = fork(path.join(__dirname, script), [], {
      cwd: REPO_ROOT,
      // BENCH_PROFILE_DIR=dir writes a V8 CPU profile of every child there (open it in Chrome DevTools).
      execArgv: [
        '--import',
        'tsx',
        ...(process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : []),
      ],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const handle = new ChildProcessHandle(name, child);
    ChildProcessHandle.live.add(handle);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name} did not start within 60 s\n${handle.stderrTail()}`)),
        60_000,
      );
      const onMessage = (message: { ready?: boolean }) => {
        if (!message.ready) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve();
      };
      child.on('message', onMessage);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code} while starting\n${handle.stderrTail()}`));
      });
    });
    return handle;
  }

  call<T>(cmd: string, args?: unknown, timeoutMs = 120_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.name} is not running\n${this.stderrTail()}`));
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: ${cmd} took longer than ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ id, cmd, args } satisfies RpcRequest);
    });
  }

  /** Asks the child to stop cleanly; kills it (by its pid) if it has not exited within `graceMs`. */
  async stop(graceMs = 8_000): Promise<void> {
    if (this.exited) return;
    this.call('stop', undefined, graceMs).catch(() => undefined);
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.exit;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  /** Kills every child this process started (each by its own pid). */
  static killAll(): void {
    for (const handle of ChildProcessHandle.live) handle.kill();
  }

  stderrTail(): string {
    return this.stderr.join('').split('\n').slice(-20).join('\n');
  }
}
