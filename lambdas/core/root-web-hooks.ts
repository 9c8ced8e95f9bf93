/**
 * Fineract 1.5–1.6 post Web hooks to the host root and drop the Payload URL's path, so the key in
 * `/hooks/{apiKey}/` never arrives (docs/protocol.md §4). A tenant may opt in to accepting them from its own
 * addresses: an allow-list of CIDRs matched on API Gateway's source IP.
 */
import { BlockList, isIP } from 'node:net';
import { BadRequestError, UnauthorizedError } from './errors';

export const ROOT_WEB_HOOK_REFUSAL =
  'This Web hook has no API key: Fineract 1.5–1.6 post Web hooks to the host root and drop the Payload URL path ' +
  "(/hooks/{apiKey}/). Upgrade to Fineract 1.7 or later, or ask the operator to allow your server's addresses: " +
  '`tenants set <tenant> --root-web-hooks-from <cidr>,…`.';

/** `203.0.113.0/24,2001:db8::/32,198.51.100.7` → the list, checked. */
export function parseCidrList(text: string): string[] {
  const list = text
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  for (const cidr of list) toRule(cidr);
  return list;
}

function toRule(cidr: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [address = '', prefixText] = cidr.split('/');
  const version = isIP(address);
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (version === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
    throw new BadRequestError(`"${cidr}" is not an IP address or CIDR block.`);
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export function isAllowedSource(sourceIp: string | undefined, cidrs: readonly string[] | undefined): boolean {
  if (!sourceIp || !cidrs || cidrs.length === 0) return false;
  const family = isIP(sourceIp);
  if (family === 0) return false;
  const list = new BlockList();
  for (const cidr of cidrs) {
    const rule = toRule(cidr);
    list.addSubnet(rule.address, rule.prefix, rule.family);
  }
  return list.check(sourceIp, family === 4 ? 'ipv4' : 'ipv6');
}

/** Resolves when a keyless Web hook may be taken for this tenant; a 401 naming the version issue otherwise. */
export function assertRootWebHookAllowed(sourceIp: string | undefined, cidrs: readonly string[] | undefined): void {
  if (!isAllowedSource(sourceIp, cidrs)) throw new UnauthorizedError(ROOT_WEB_HOOK_REFUSAL);
}
