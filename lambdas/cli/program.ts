import { Command, CommanderError } from 'commander';
import { openCliRuntime } from '../wiring/cli-runtime';
import { registerConsoleCommands } from './console';
import type { CliContext, OpenRuntime } from './context';
import { registerDlqCommands } from './dlq';
import { registerFineractCommands } from './fineract';
import { registerLogCommands } from './logs';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from './errors';
import { registerEventCommands } from './events';
import type { CliIo } from './output';
import { registerTemplateCommands } from './templates';
import { registerTargetCommands } from './targets';
import { registerTenantCommands } from './tenants';

const TARGETS = `
Targets: --stack NAME (a deployed stack's outputs, your AWS credentials), the environment (TENANTS_TABLE,
EVENTS_TABLE, QUEUE_URL, SECRET_PREFIX), or --local [--data-dir DIR] (the local server's data, default ./.data).
Exit codes: 0 done, 1 the command failed, 2 bad usage.`;

/** The operator CLI: one noun per module, each command with its own --help, validation and --json output. */
export function buildProgram(context: CliContext): Command {
  const program = new Command('cli')
    .usage('[--local [--data-dir DIR] | --stack NAME] [--json] <command>')
    .description('Operate the Fineract hook receiver: tenants, templates, events, dead letters, logs, Fineract hooks.')
    .option('--local', 'use the local server’s data (DATA_DIR)')
    .option('--data-dir <dir>', 'local data directory (default: DATA_DIR or ./.data)')
    .option('--stack <name>', 'a deployed stack: tables, queues and secret prefix from its outputs')
    .option('--json', 'print the result as JSON on stdout, for scripts')
    .addHelpText('after', TARGETS)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.io.stdout.write(text),
      writeErr: (text) => context.io.stderr.write(text),
    });
  registerTenantCommands(program, context);
  registerTemplateCommands(program, context);
  registerTargetCommands(program, context);
  registerEventCommands(program, context);
  registerDlqCommands(program, context);
  registerFineractCommands(program, context);
  registerLogCommands(program, context);
  registerConsoleCommands(program, context);
  return program;
}

export interface RunCliOptions {
  io?: CliIo;
  openRuntime?: OpenRuntime;
}

/** Runs one command line (without `node cli.ts`) and returns its exit code; never exits the process itself. */
export async function runCli(argv: string[], options: RunCliOptions = {}): Promise<number> {
  const io = options.io ?? { stdout: process.stdout, stderr: process.stderr, env: process.env };
  const program = buildProgram({ io, openRuntime: options.openRuntime ?? openCliRuntime });
  if (argv.length === 0) {
    program.outputHelp();
    return EXIT_OK;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    // Commander has already printed its message (or the help the user asked for).
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    io.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return error instanceof UsageError ? EXIT_USAGE : EXIT_FAILED;
  }
}
