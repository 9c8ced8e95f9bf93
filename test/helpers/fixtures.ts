import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** One recorded delivery (test/fixtures/*.json, copied from the protocol's sample set). */
export interface Delivery {
  name: string;
  sender: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  expect: string;
}

export const FIXTURE_DIR = path.join(__dirname, '..', 'fixtures');

export function loadDelivery(name: string): Delivery {
  return JSON.parse(readFileSync(path.join(FIXTURE_DIR, `${name}.json`), 'utf8')) as Delivery;
}

export function allDeliveries(): Delivery[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => loadDelivery(f.replace(/\.json$/, '')));
}

/** What the SMS Bridge template posts at registration (docs/protocol.md §5). */
export interface RegistrationBody {
  phoneNo: string;
  smsProvider: string;
  smsProviderAccountId: string;
  smsProviderToken: string;
  tenantId: string;
  mifosToken: string;
  endpoint: string;
}

/** The body of a registration fixture, parsed. */
export function registrationBody(fixture = 'mifosx-sms-registration'): RegistrationBody {
  return JSON.parse(loadDelivery(fixture).body) as RegistrationBody;
}

/** The fixture's API-key header (whichever family) replaced by the key our registration issued. */
export function withKey(delivery: Delivery, key: string): Delivery {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(delivery.headers)) headers[name] = /api-key$/i.test(name) ? key : value;
  return { ...delivery, headers };
}

export function withTenant(delivery: Delivery, tenantId: string): Delivery {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(delivery.headers))
    headers[name] = /tenantid$/i.test(name) ? tenantId : value;
  return { ...delivery, headers };
}
