import type { Command } from 'commander';
import type { CliRuntime, openCliRuntime } from '../wiring/cli-runtime';
import { type CliIo, Output } from './output';

/** The options every command takes (they may come before or after the command's own words). */
export interface GlobalOptions {
  local?: boolean;
  dataDir?: string;
  stack?: string;
  json?: boolean;
}

export type OpenRuntime = typeof openCliRuntime;

export interface CliContext {
  io: CliIo;
  openRuntime: OpenRuntime;
}

/**
 * A command's action: its output, and the runtime of the target the global options name (a stack, the AWS
 * environment, or local data), opened for the command and closed after it. `args` are the command's parsed
 * arguments, `options` its own options.
 */
export function withRuntime<A extends unknown[], O = Record<string, never>>(
  context: CliContext,
  run: (rt: CliRuntime, out: Output, args: A, options: O) => Promise<void>,
): (...actionArgs: unknown[]) => Promise<void> {
  return async (...actionArgs) => {
    // commander calls an action with the arguments, then the command's options, then the command.
    const command = actionArgs[actionArgs.length - 1] as Command;
    const globals = command.optsWithGlobals<GlobalOptions>();
    const out = new Output(context.io, Boolean(globals.json));
    const env = context.io.env;
    const aws = Boolean(globals.stack) || (!globals.local && Boolean(env.TENANTS_TABLE && env.QUEUE_URL));
    const rt = await context.openRuntime({
      target: aws ? 'aws' : 'local',
      stack: globals.stack,
      dataDir: globals.dataDir ?? env.DATA_DIR ?? './.data',
      env,
    });
    out.note(`target: ${rt.target}`);
    try {
      await run(rt, out, actionArgs.slice(0, -2) as A, command.opts() as O);
    } finally {
      await rt.close();
    }
  };
}
