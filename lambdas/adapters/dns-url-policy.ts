/**
 * The SSRF guard with DNS: `DnsUrlPolicy` checks a URL before we store it (registration, forward targets), and
 * `guardedLookup` re-checks every address at connect time, so a name that resolves to a public address during the
 * check and to 169.254.169.254 a second later (DNS rebinding) is still refused.
 */
import dns from 'node:dns';
import type { LookupAddress, LookupAllOptions, LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { DownstreamError } from '../core/errors';
import type { UrlPolicy } from '../core/ports';
import { UrlNotAllowedError } from '../core/errors';
import { assertAddressAllowed, hostOf, isIpLiteral, validateOutboundUrl } from '../core/url-policy';

/** `dns.promises.lookup(host, { all: true })`, or a stand-in in tests. */
export type ResolveAll = (host: string) => Promise<LookupAddress[]>;

const systemResolveAll: ResolveAll = (host) => dns.promises.lookup(host, { all: true, verbatim: true });

const NOT_FOUND_CODES = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EAI_NODATA']);

export interface DnsUrlPolicyOptions {
  allowPrivate: boolean;
  resolveAll?: ResolveAll;
}

export class DnsUrlPolicy implements UrlPolicy {
  private readonly allowPrivate: boolean;
  private readonly resolveAll: ResolveAll;

  constructor(options: DnsUrlPolicyOptions) {
    this.allowPrivate = options.allowPrivate;
    this.resolveAll = options.resolveAll ?? systemResolveAll;
  }

  /**
   * Resolves when every address of the URL's host may be called. Throws UrlNotAllowedError (422) for a refused
   * URL or an unknown host name, and a retryable DownstreamError when DNS itself failed (try again later).
   */
  async check(url: string): Promise<void> {
    const host = hostOf(validateOutboundUrl(url));
    const options = { allowPrivate: this.allowPrivate };
    if (isIpLiteral(host)) {
      assertAddressAllowed(host, options);
      return;
    }
    let addresses: LookupAddress[];
    try {
      addresses = await this.resolveAll(host);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (NOT_FOUND_CODES.has(code))
        throw new UrlNotAllowedError(`The host "${host}" does not resolve (${code}).`, { reason: 'unresolvable' });
      throw new DownstreamError('http', `Could not resolve "${host}" (${code || 'DNS error'}); try again later.`, {
        retryable: true,
        code: code || 'dns_error',
      });
    }
    if (addresses.length === 0)
      throw new UrlNotAllowedError(`The host "${host}" has no addresses.`, { reason: 'unresolvable' });
    for (const { address } of addresses) assertAddressAllowed(address, options, host);
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for `http.request` / `net.connect` that resolves every address of the name and fails the connection
 * with UrlNotAllowedError if ANY of them is refused. Works with both `all: false` and `all: true` callers (Node 20
 * asks for all addresses when `autoSelectFamily` is on). Note: Node skips `lookup` for IP-literal hosts, so check
 * those before connecting (FineractHttpClient does).
 */
export function guardedLookup(allowPrivate: boolean, baseLookup: typeof dns.lookup = dns.lookup): LookupFunction {
  const lookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    const allOptions: LookupAllOptions = { ...options, all: true };
    baseLookup(hostname, allOptions, (error, addresses) => {
      if (error) {
        callback(error, options.all ? [] : '');
        return;
      }
      try {
        if (addresses.length === 0)
          throw new UrlNotAllowedError(`The host "${hostname}" has no addresses.`, { reason: 'unresolvable' });
        for (const { address } of addresses) assertAddressAllowed(address, { allowPrivate }, hostname);
      } catch (refusal) {
        callback(refusal as NodeJS.ErrnoException, options.all ? [] : '');
        return;
      }
      if (options.all) {
        callback(null, addresses);
      } else {
        const first = addresses[0]!;
        callback(null, first.address, first.family);
      }
    });
  };
  return lookup as unknown as LookupFunction;
}
