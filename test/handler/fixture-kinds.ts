import { allDeliveries, type Delivery, withKey, withTenant } from '../helpers/fixtures';

/** Every fixture file, sorted into what it exercises; `other` must stay empty (a test checks it). */
export function fixturesByKind(): {
  registrations: Delivery[];
  pings: Delivery[];
  events: Delivery[];
  other: Delivery[];
} {
  const all = allDeliveries();
  const registrations = all.filter((d) => d.method === 'POST' && /\/configuration$/.test(d.path));
  const pings = all.filter((d) => d.method === 'GET');
  const events = all.filter((d) => d.method === 'POST' && !registrations.includes(d));
  const other = all.filter((d) => !registrations.includes(d) && !pings.includes(d) && !events.includes(d));
  return { registrations, pings, events, other };
}

/** SMS Bridge deliveries carry an API-key header; Web hook deliveries do not and are sent to /hooks/{key}/. */
export function isWebHook(delivery: Delivery): boolean {
  return !Object.keys(delivery.headers).some((h) => /api-key$/i.test(h));
}

/** The delivery as the sender would make it once registered: the key in its header, or in the Web hook's path. */
export function keyed(delivery: Delivery, key: string, tenantId?: string): Delivery {
  const forTenant = tenantId ? withTenant(delivery, tenantId) : delivery;
  return isWebHook(forTenant) ? { ...forTenant, path: `/hooks/${key}/` } : withKey(forTenant, key);
}
