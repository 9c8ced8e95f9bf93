/**
 * Operator CLI (`npm run cli -- --help`): the commands live in lambdas/cli, one module per noun. Against AWS:
 * `--stack <name>` or the environment, with your own AWS credentials; against a local server: `--local`.
 */
import { runCli } from '../lambdas/cli/program';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
