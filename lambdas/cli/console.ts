import { type Command, InvalidArgumentError, Option } from 'commander';
import { AppError } from '../core/errors';
import { consoleLinkUrl, createConsoleLink, DEFAULT_LINK_TTL_MS, parseLinkTtl } from '../core/console-session';
import type { ConsoleRole } from '../core/model';
import { tenantIdArgument } from './arguments';
import { type CliContext, withRuntime } from './context';

interface LinkOptions {
  role: ConsoleRole;
  ttl?: number;
}

function ttlOption(value: string): number {
  try {
    return parseLinkTtl(value);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof AppError ? error.message : String(error));
  }
}

export function registerConsoleCommands(program: Command, context: CliContext): void {
  const consoleCommand = program.command('console').description('the web console for MFI staff (README "Web console")');

  consoleCommand
    .command('link')
    .description('print a one-time sign-in link to the web console for one tenant')
    .addArgument(tenantIdArgument())
    .addOption(
      new Option('--role <role>', 'viewer reads; editor may also resend, edit templates and targets')
        .choices(['viewer', 'editor'])
        .default('viewer'),
    )
    .addOption(
      new Option('--ttl <duration>', 'how long the link can be used, 1m to 24h (default 15m)').argParser(ttlOption),
    )
    .action(
      withRuntime(context, async (rt, out, [tenantId]: [string], options: LinkOptions) => {
        const ttlMs = options.ttl ?? DEFAULT_LINK_TTL_MS;
        const { token, expiresAt } = await createConsoleLink(rt, { tenantId, role: options.role, ttlMs });
        const base = rt.settings.publicBaseUrl ?? '<receiver URL>';
        // The token rides in the fragment: browsers never send it to a server, so it is in no access log.
        const url = consoleLinkUrl(base, token);
        out.result({ url, tenantId, role: options.role, expiresAt }, () => {
          out.line(`Console link for ${tenantId} (${options.role}), usable once until ${expiresAt}:`);
          out.line(url);
        });
      }),
    );
}
