import type { LookupAddress } from 'node:dns';
import type dns from 'node:dns';
import { DnsUrlPolicy, guardedLookup } from '../../lambdas/adapters/dns-url-policy';
import { DownstreamError } from '../../lambdas/core/errors';
import { UrlNotAllowedError } from '../../lambdas/core/errors';

function resolver(table: Record<string, LookupAddress[] | string>) {
  return async (host: string): Promise<LookupAddress[]> => {
    const entry = table[host];
    if (entry === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    if (typeof entry === 'string') throw Object.assign(new Error(`getaddrinfo ${entry} ${host}`), { code: entry });
    return entry;
  };
}

const v4 = (address: string): LookupAddress => ({ address, family: 4 });
const v6 = (address: string): LookupAddress => ({ address, family: 6 });

describe('DnsUrlPolicy', () => {
  const resolveAll = resolver({
    'mifos.example.org': [v4('203.0.114.10'), v6('2001:4860::1')],
    'rebind.example.org': [v4('8.8.8.8'), v4('169.254.169.254')],
    'office.lan': [v4('192.168.1.20')],
    'flaky.example.org': 'EAI_AGAIN',
  });

  it('accepts a name whose addresses are all public', async () => {
    // Prepare
    const policy = new DnsUrlPolicy({ allowPrivate: false, resolveAll });
    // Act
    const result = policy.check('https://mifos.example.org:8443/fineract-provider/api/v1/');
    // Assess
    await expect(result).resolves.toBeUndefined();
  });

  it('tells an unknown name (unresolvable) from a refused address (refused-address)', async () => {
    // Prepare
    const policy = new DnsUrlPolicy({ allowPrivate: false, resolveAll });
    // Act
    const unknown = await policy.check('https://nowhere.example.org/api/').catch((error: unknown) => error);
    const refused = await policy.check('https://office.lan/api/').catch((error: unknown) => error);
    // Assess
    expect(unknown).toMatchObject({ reason: 'unresolvable' });
    expect(refused).toMatchObject({ reason: 'refused-address', addressClass: 'private' });
  });

  it('refuses a name when ANY of its addresses is refused', async () => {
    // Prepare
    const policy = new DnsUrlPolicy({ allowPrivate: true, resolveAll });
    // Act
    const result = policy.check('https://rebind.example.org/api/v1/');
    // Assess
    await expect(result).rejects.toThrow(UrlNotAllowedError);
    await expect(result).rejects.toThrow(/rebind\.example\.org.*metadata/);
  });

  it('refuses private names unless allowed', async () => {
    // Prepare
    const strict = new DnsUrlPolicy({ allowPrivate: false, resolveAll });
    const lenient = new DnsUrlPolicy({ allowPrivate: true, resolveAll });
    // Act
    const refused = strict.check('http://office.lan:8080/fineract-provider/api/v1/');
    const allowed = lenient.check('http://office.lan:8080/fineract-provider/api/v1/');
    // Assess
    await expect(refused).rejects.toThrow(/private-network/);
    await expect(allowed).resolves.toBeUndefined();
  });

  it('checks IP-literal hosts without DNS', async () => {
    // Prepare
    const resolveSpy = jest.fn(resolveAll);
    const policy = new DnsUrlPolicy({ allowPrivate: true, resolveAll: resolveSpy });
    // Act
    const metadata = policy.check('http://169.254.169.254/latest/meta-data/');
    const mapped = policy.check('http://[::ffff:169.254.169.254]/');
    const loopback = policy.check('http://[::1]:8080/');
    // Assess
    await expect(metadata).rejects.toThrow(UrlNotAllowedError);
    await expect(mapped).rejects.toThrow(UrlNotAllowedError);
    await expect(loopback).resolves.toBeUndefined();
    expect(resolveSpy).not.toHaveBeenCalled();
  });

  it('tells an unknown host (422) from a DNS outage (retryable)', async () => {
    // Prepare
    const policy = new DnsUrlPolicy({ allowPrivate: false, resolveAll });
    // Act
    const unknown = policy.check('https://nowhere.example.org/');
    const outage = policy.check('https://flaky.example.org/');
    // Assess
    await expect(unknown).rejects.toThrow(UrlNotAllowedError);
    await expect(outage).rejects.toBeInstanceOf(DownstreamError);
    await expect(outage).rejects.toMatchObject({ retryable: true });
  });
});

describe('guardedLookup', () => {
  function fakeLookup(addresses: LookupAddress[]): typeof dns.lookup {
    const impl = (_host: string, _options: unknown, callback: (e: Error | null, a: LookupAddress[]) => void) => {
      callback(null, addresses);
    };
    return impl as unknown as typeof dns.lookup;
  }

  function call(lookup: ReturnType<typeof guardedLookup>, all: boolean) {
    return new Promise<{ error: Error | null; address: unknown; family?: number }>((resolve) => {
      lookup(
        'host.example',
        { all } as never,
        ((error: Error | null, address: unknown, family?: number) => resolve({ error, address, family })) as never,
      );
    });
  }

  it('answers single-address callers with the first address', async () => {
    // Prepare
    const lookup = guardedLookup(false, fakeLookup([v4('8.8.4.4'), v6('2001:4860::8844')]));
    // Act
    const result = await call(lookup, false);
    // Assess
    expect(result).toEqual({ error: null, address: '8.8.4.4', family: 4 });
  });

  it('answers all-address callers (autoSelectFamily) with the list', async () => {
    // Prepare
    const lookup = guardedLookup(false, fakeLookup([v4('8.8.4.4'), v6('2001:4860::8844')]));
    // Act
    const result = await call(lookup, true);
    // Assess
    expect(result.error).toBeNull();
    expect(result.address).toHaveLength(2);
  });

  it('fails the connection when a name resolves to a refused address at connect time', async () => {
    // Prepare
    const lookup = guardedLookup(true, fakeLookup([v4('169.254.169.254')]));
    // Act
    const result = await call(lookup, true);
    // Assess
    expect(result.error).toBeInstanceOf(UrlNotAllowedError);
  });
});
