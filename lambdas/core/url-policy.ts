/**
 * Outbound URL policy (SSRF guard), pure: IP address classification, URL shape checks and the normalisation of a
 * sender's API base. No DNS, no sockets — the adapter (adapters/dns-url-policy.ts) resolves names and calls in here.
 */
import { UrlNotAllowedError } from './errors';
import type { AddressClass } from './model';

/** Classes refused whatever the deployment says: they reach the host itself or the cloud's control plane. */
const ALWAYS_REFUSED: ReadonlySet<AddressClass> = new Set([
  'link-local',
  'metadata',
  'unspecified',
  'multicast',
  'broadcast',
  'invalid',
]);
/** Classes allowed only when private endpoints are (local mode, or an on-premises MifosX behind a VPC link). */
const PRIVATE_CLASSES: ReadonlySet<AddressClass> = new Set(['loopback', 'private', 'reserved']);

const DESCRIPTIONS: Record<AddressClass, string> = {
  public: 'a public address',
  loopback: 'a loopback address',
  private: 'a private-network address',
  reserved: 'a reserved (non-routable) address',
  'link-local': 'a link-local address',
  metadata: 'a cloud instance-metadata address',
  unspecified: 'the unspecified address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  invalid: 'not a valid IP address',
};

// ---------------------------------------------------------------------------------------------------------------
// Parsing

/** Dotted-quad only (`127.0.0.1`); URL hosts such as `0x7f.1` are already normalised by the WHATWG URL parser. */
export function parseIPv4(text: string): [number, number, number, number] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    if (part.length > 1 && part.startsWith('0')) return undefined; // octal-looking: ambiguous, refuse
    const n = Number(part);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out as [number, number, number, number];
}

/** Eight 16-bit groups; accepts `::` compression, an embedded dotted quad, brackets and a `%zone` suffix. */
export function parseIPv6(text: string): number[] | undefined {
  let s = text.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (s === '' || !/^[0-9a-fA-F:.]+$/.test(s)) return undefined;

  const lastColon = s.lastIndexOf(':');
  if (lastColon < 0) return undefined;
  const last = s.slice(lastColon + 1);
  if (last.includes('.')) {
    // An embedded dotted quad (`::ffff:127.0.0.1`) stands for the last two groups.
    const v4 = parseIPv4(last);
    if (!v4) return undefined;
    const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
    s = `${s.slice(0, lastColon + 1)}${hex(v4[0], v4[1])}:${hex(v4[2], v4[3])}`;
  }

  const doubleColon = s.indexOf('::');
  if (doubleColon !== s.lastIndexOf('::')) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      groups.push(Number.parseInt(g, 16));
    }
    return groups;
  };

  let groups: number[];
  if (doubleColon >= 0) {
    const head = parseGroups(s.slice(0, doubleColon));
    const rest = parseGroups(s.slice(doubleColon + 2));
    if (!head || !rest) return undefined;
    const missing = 8 - head.length - rest.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...rest];
  } else {
    const all = parseGroups(s);
    if (!all) return undefined;
    groups = all;
  }
  return groups.length === 8 ? groups : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Classification

function inV4(a: readonly number[], base: [number, number, number, number], bits: number): boolean {
  const value = (((a[0]! << 24) >>> 0) + (a[1]! << 16) + (a[2]! << 8) + a[3]!) >>> 0;
  const net = (((base[0] << 24) >>> 0) + (base[1] << 16) + (base[2] << 8) + base[3]) >>> 0;
  if (bits === 0) return true;
  const mask = bits === 32 ? 0xffffffff : (~0 << (32 - bits)) >>> 0;
  return (value & mask) >>> 0 === (net & mask) >>> 0;
}

/** AWS: IMDS, ECS task metadata/credentials, EKS Pod Identity. All inside 169.254/16, named for clearer errors. */
const V4_METADATA = new Set(['169.254.169.254', '169.254.170.2', '169.254.170.23']);

export function classifyIPv4(a: readonly number[]): AddressClass {
  if (V4_METADATA.has(a.join('.'))) return 'metadata';
  if (inV4(a, [0, 0, 0, 0], 8)) return 'unspecified';
  if (inV4(a, [127, 0, 0, 0], 8)) return 'loopback';
  if (inV4(a, [169, 254, 0, 0], 16)) return 'link-local';
  if (inV4(a, [10, 0, 0, 0], 8) || inV4(a, [172, 16, 0, 0], 12) || inV4(a, [192, 168, 0, 0], 16)) return 'private';
  if (inV4(a, [100, 64, 0, 0], 10)) return 'private'; // CGNAT
  if (inV4(a, [255, 255, 255, 255], 32)) return 'broadcast';
  if (inV4(a, [224, 0, 0, 0], 4)) return 'multicast';
  if (
    inV4(a, [192, 0, 0, 0], 24) || // IETF protocol assignments
    inV4(a, [192, 0, 2, 0], 24) || // TEST-NET-1
    inV4(a, [198, 51, 100, 0], 24) || // TEST-NET-2
    inV4(a, [203, 0, 113, 0], 24) || // TEST-NET-3
    inV4(a, [198, 18, 0, 0], 15) || // benchmarking
    inV4(a, [240, 0, 0, 0], 4) // class E
  ) {
    return 'reserved';
  }
  return 'public';
}

function classifyIPv6(g: readonly number[]): AddressClass {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const embedded = (hi: number, lo: number) => classifyIPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0);

  if (zeroTo(8)) return 'unspecified';
  if (zeroTo(7) && g7 === 1) return 'loopback';
  if (zeroTo(5) && g5 === 0xffff) return embedded(g6, g7); // ::ffff:a.b.c.d (IPv4-mapped)
  if (zeroTo(6)) return embedded(g6, g7); // ::a.b.c.d (deprecated IPv4-compatible)
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return embedded(g6, g7); // NAT64
  if (g0 === 0x2002) return embedded(g1, g2); // 6to4 carries an IPv4 address in bits 16–47
  if (g0 === 0xfd00 && g1 === 0x0ec2 && g2 === 0 && g3 === 0) return 'metadata'; // fd00:ec2::254 IMDS, ::23 EKS …
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((g0 & 0xffc0) === 0xfec0) return 'private'; // deprecated site-local
  if ((g0 & 0xfe00) === 0xfc00) return 'private'; // unique local fc00::/7
  if ((g0 & 0xff00) === 0xff00) return 'multicast';
  if (g0 === 0x2001 && g1 === 0x0db8) return 'reserved'; // documentation
  if (g0 === 0x0100 && g1 === 0 && g2 === 0 && g3 === 0) return 'reserved'; // discard-only 100::/64
  if (g0 === 0x2001 && g1 === 0) return 'reserved'; // Teredo: obfuscated IPv4 inside, do not guess
  if ((g0 & 0xe000) !== 0x2000) return 'reserved'; // outside global unicast 2000::/3
  return 'public';
}

/** Classifies an IP literal (v4 dotted quad or v6, brackets and zone allowed); anything else is 'invalid'. */
export function classifyAddress(address: string): AddressClass {
  const text = address.trim();
  const v4 = parseIPv4(text);
  if (v4) return classifyIPv4(v4);
  const v6 = parseIPv6(text);
  if (v6) return classifyIPv6(v6);
  return 'invalid';
}

export function isIpLiteral(host: string): boolean {
  return parseIPv4(host) !== undefined || parseIPv6(host) !== undefined;
}

export interface AddressPolicyOptions {
  /** Allow loopback, private and reserved ranges (local mode, or a deployment that reaches a private MifosX). */
  allowPrivate: boolean;
}

export interface AddressRefusal {
  address: string;
  addressClass: AddressClass;
  /** Safe to show to the caller: says which class, not which address. */
  reason: string;
}

/** `undefined` when the address may be called; otherwise why not. */
export function checkAddress(address: string, options: AddressPolicyOptions): AddressRefusal | undefined {
  const addressClass = classifyAddress(address);
  if (addressClass === 'public') return undefined;
  if (PRIVATE_CLASSES.has(addressClass) && options.allowPrivate) return undefined;
  const hint = ALWAYS_REFUSED.has(addressClass)
    ? ' Such addresses are never called.'
    : ' Private endpoints are refused unless the deployment sets ALLOW_PRIVATE_ENDPOINTS=true.';
  return { address, addressClass, reason: `it resolves to ${DESCRIPTIONS[addressClass]}.${hint}` };
}

/**
 * Throws UrlNotAllowedError when `address` may not be called. `host` (the name the caller used) goes into the
 * message instead of the resolved address, so an error never tells the caller what an internal name resolves to.
 */
export function assertAddressAllowed(address: string, options: AddressPolicyOptions, host?: string): void {
  const refusal = checkAddress(address, options);
  if (!refusal) return;
  throw new UrlNotAllowedError(`Refusing to call "${host ?? address}": ${refusal.reason}`, {
    reason: 'refused-address',
    addressClass: refusal.addressClass,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// URLs

/** Parses and checks the shape of an outbound URL: http(s), a host, no credentials. Returns the parsed URL. */
export function validateOutboundUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UrlNotAllowedError('The URL is not valid; expected an absolute http(s) URL.', { reason: 'invalid-url' });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UrlNotAllowedError(`The URL scheme "${parsed.protocol.replace(/:$/, '')}" is not allowed; use https.`, {
      reason: 'invalid-url',
    });
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new UrlNotAllowedError('The URL must not carry credentials (user:password@host).', { reason: 'invalid-url' });
  }
  if (hostOf(parsed) === '') throw new UrlNotAllowedError('The URL has no host.', { reason: 'invalid-url' });
  return parsed;
}

/** The host of a parsed URL without IPv6 brackets (`[::1]` → `::1`). */
export function hostOf(url: URL): string {
  const host = url.hostname;
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * The API base we call, from the `endpoint` a sender registered (docs/protocol.md §6): `…/api` or `…/api/` gets
 * `v1/` (Fineract ≥ 1.9 sends no version), and the result always ends in `/`. Query and fragment are dropped.
 */
export function normaliseApiBase(endpoint: string): string {
  let base = endpoint.trim().replace(/[?#].*$/, '');
  base = base.replace(/\/+$/, '');
  if (/\/api$/i.test(base)) base = `${base}/v1`;
  return `${base}/`;
}

interface UrlParts {
  protocol: string;
  hostname: string;
  port: string;
  segments: string[];
}

/** Scheme, host (case-insensitive, as the URL parser gives it), port (default ports dropped) and path segments. */
function urlParts(text: string): UrlParts | undefined {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  return {
    protocol: url.protocol,
    hostname: url.hostname.toLowerCase(),
    port: url.port,
    segments: url.pathname.split('/').filter((s) => s !== ''),
  };
}

/**
 * Whether `endpoint` lies under an operator's `--endpoint-prefix`: the same scheme, host and port, and the prefix's
 * path segments leading the endpoint's. A raw string prefix would let `https://mifos.bank.example` accept
 * `https://mifos.bank.example.attacker.example/`.
 */
export function endpointUnderPrefix(endpoint: string, prefix: string): boolean {
  const e = urlParts(endpoint);
  const p = urlParts(prefix);
  if (!e || !p) return false;
  if (e.protocol !== p.protocol || e.hostname !== p.hostname || e.port !== p.port) return false;
  if (p.segments.length > e.segments.length) return false;
  return p.segments.every((segment, i) => segment === e.segments[i]);
}

/** The same Fineract API as far as ownership goes: equal after `/api/` → `/api/v1/` normalisation, host case aside. */
export function sameApiEndpoint(a: string, b: string): boolean {
  const x = urlParts(normaliseApiBase(a));
  const y = urlParts(normaliseApiBase(b));
  if (!x || !y) return false;
  return (
    x.protocol === y.protocol &&
    x.hostname === y.hostname &&
    x.port === y.port &&
    x.segments.join('/') === y.segments.join('/')
  );
}

/**
 * A forwarding target's URL as it can be checked without the network (no request is made when a target is
 * created): shape, and the address of an IP-literal host. Names are checked when connecting (the guarded lookup).
 */
export function checkTargetUrl(text: string, allowPrivate: boolean): URL {
  const url = validateOutboundUrl(text);
  if (isIpLiteral(hostOf(url))) assertAddressAllowed(hostOf(url), { allowPrivate });
  return url;
}
