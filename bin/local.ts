/**
 * `npm start`: the receiver on this machine with embedded defaults — the same handlers as in AWS behind a
 * node:http adapter, DynamoDB embedded (data under DATA_DIR), a local queue, file secrets, and SMS to Twilio
 * (TWILIO_API_BASE_URL) or to the dry-run outbox.
 */
import { networkInterfaces } from 'node:os';
import { startLocalReceiver } from '../lambdas/wiring/local-receiver';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  const dataDir = process.env.DATA_DIR ?? './.data';
  const receiver = await startLocalReceiver({ port, host: process.env.HOST || undefined, dataDir });
  const hosts = ['localhost', ...lanAddresses()];
  const lines = [
    '',
    `Fineract hook receiver listening on port ${receiver.port}`,
    `  data: ${dataDir}   SMS: ${receiver.smsMode}   enrollment: ${receiver.settings.openEnrollment ? 'open' : 'operator only'}`,
    '',
    'Paste into the MifosX / Fineract hook form, template "SMS Bridge", field "Payload URL":',
    ...hosts.flatMap((h) => [
      `  MifosX, Fineract <= 1.6 : http://${h}:${receiver.port}/modules/sms`,
      `  Fineract >= 1.7         : http://${h}:${receiver.port}/modules/sms/`,
    ]),
    'Template "Web": http://<host>:' +
      receiver.port +
      '/hooks/<api-key>/   (key: npm run cli -- tenants create <tenantId>)',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

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
