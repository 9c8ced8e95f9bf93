/**
 * `npm start`: the receiver on this machine with embedded defaults — the same handlers as in AWS behind a
 * node:http adapter, DynamoDB embedded (data under DATA_DIR), a local queue, file secrets, and SMS to Twilio
 * (TWILIO_API_BASE_URL) or to the dry-run outbox.
 */
import { networkInterfaces } from 'node:os';
import { startBanner } from '../lambdas/wiring/local-banner';
import { startLocalReceiver } from '../lambdas/wiring/local-receiver';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Every file and directory this process creates (embedded DynamoDB, outbox, secrets) is for this user only.
process.umask(0o077);

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  const dataDir = process.env.DATA_DIR ?? './.data';
  const receiver = await startLocalReceiver({ port, host: process.env.HOST || undefined, dataDir });
  process.stdout.write(
    startBanner({
      port: receiver.port,
      host: receiver.host,
      loopbackOnly: receiver.loopbackOnly,
      settings: receiver.settings,
      smsMode: receiver.smsMode,
      dataDir,
      lanAddresses: lanAddresses(),
    }),
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: finishing in-flight requests and work, then stopping…\n`);
    receiver.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown error: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

function lanAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address)
    .slice(0, 2);
}

main().catch((error: unknown) => {
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    process.stderr.write(
      `could not start: port ${process.env.PORT ?? 3000} is in use; stop the other process or set PORT.\n`,
    );
    process.exit(1);
  }
  process.stderr.write(`could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
