import type { Command } from 'commander';
import { type CliContext, withRuntime } from './context';
import { UsageError } from './errors';

export function registerDlqCommands(program: Command, context: CliContext): void {
  const dlq = program.command('dlq').description('the work queue’s dead-letter queue (AWS)');

  dlq
    .command('redrive')
    .description('move dead-lettered queue messages back to the work queue (AWS)')
    .action(
      withRuntime(context, async (rt, out) => {
        if (!rt.redriveDeadLetters)
          throw new UsageError(
            'Local mode keeps dead letters in the server process; use `events resend` for dead events.',
          );
        const taskHandle = await rt.redriveDeadLetters();
        out.result({ taskHandle }, () => out.line(`DLQ redrive started: ${taskHandle}`));
      }),
    );
}
