import type { Settings } from '../core/settings';

export interface BannerFacts {
  port: number;
  host: string;
  loopbackOnly: boolean;
  settings: Pick<Settings, 'openEnrollment' | 'allowPrivateEndpoints'>;
  smsMode: string;
  dataDir: string;
  /** This machine's LAN addresses, shown as Payload URL hosts when the server listens beyond loopback. */
  lanAddresses: string[];
}

/**
 * What `npm start` prints: where it listens and who can reach it, what that exposes, and the Payload URLs to paste
 * into the hook form.
 */
export function startBanner(facts: BannerFacts): string {
  const { port, settings } = facts;
  const hosts = facts.loopbackOnly ? ['localhost'] : ['localhost', ...facts.lanAddresses];
  const exposure = facts.loopbackOnly
    ? `  reachable from this machine only (set HOST=0.0.0.0 to accept hooks from other machines)`
    : `  REACHABLE FROM THE NETWORK: enrollment ${settings.openEnrollment ? 'OPEN (OPEN_ENROLLMENT=true)' : 'operator only (npm run cli -- tenants enroll <t>)'}, private endpoints ${settings.allowPrivateEndpoints ? 'ALLOWED (ALLOW_PRIVATE_ENDPOINTS=true)' : 'refused'}`;
  const lines = [
    '',
    `Fineract hook receiver listening on ${facts.host}:${port}`,
    exposure,
    `  data: ${facts.dataDir}   SMS: ${facts.smsMode}   enrollment: ${settings.openEnrollment ? 'open' : 'operator only'}   private endpoints: ${settings.allowPrivateEndpoints ? 'allowed' : 'refused'}`,
    '',
    'Paste into the MifosX / Fineract hook form, template "SMS Bridge", field "Payload URL":',
    ...hosts.flatMap((h) => [
      `  MifosX, Fineract <= 1.6 : http://${h}:${port}/modules/sms`,
      `  Fineract >= 1.7         : http://${h}:${port}/modules/sms/`,
    ]),
    `Template "Web": http://<host>:${port}/hooks/<ingest-key>/   (keys: npm run cli -- tenants create <tenantId>)`,
    '',
  ];
  return `${lines.join('\n')}\n`;
}
