import type { LookupAddress } from 'node:dns';
import type dns from 'node:dns';
import { authorizationHeader, FineractHttpClient } from '../../lambdas/adapters/fineract-http-client';
import { guardedLookup } from '../../lambdas/adapters/dns-url-policy';
import { DownstreamError } from '../../lambdas/core/errors';
import { FakeFineract } from '../helpers/fake-fineract';
import { rejectionOf } from '../helpers/errors';

const TENANT = 'default';

/** A DNS stand-in behind the real guard: names in the table resolve to the given addresses. */
function dnsTable(table: Record<string, string>): typeof dns.lookup {
  const impl = (host: string, _options: unknown, callback: (e: Error | null, a: LookupAddress[]) => void) => {
    const address = table[host];
    if (!address) callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }), []);
    else callback(null, [{ address, family: address.includes(':') ? 6 : 4 }]);
  };
  return impl as unknown as typeof dns.lookup;
}

describe('FineractHttpClient against a fake MifosX/Fineract', () => {
  let fake: FakeFineract;
  let client: FineractHttpClient;

  beforeEach(async () => {
    fake = await FakeFineract.start({ basePath: '/fineract-provider/api/v1/', tenantHeader: 'fineract' });
    fake.addClient({ id: 42, firstname: 'Jane', lastname: 'Doe', mobileNo: '254700000001', officeName: 'Nairobi' });
    fake.addLoan({ id: 7, accountNo: '000000007', clientId: 42, clientName: 'Jane Doe' });
    fake.addSavings({ id: 9, accountNo: '000000009', clientId: 42, clientName: 'Jane Doe' });
    client = new FineractHttpClient({ allowPrivate: true, timeoutMs: 1000 });
  });

  afterEach(async () => {
    client.destroy();
    await fake.stop();
  });

  it('reads a client with both tenant headers and Basic auth', async () => {
    // Prepare
    const auth = { tenantId: TENANT, mifosToken: fake.token };
    // Act
    const result = await client.get(fake.apiBase, 'clients/42', auth);
    // Assess
    expect(result).toMatchObject({ id: 42, displayName: 'Jane Doe', mobileNo: '254700000001' });
    const [request] = fake.requests;
    expect(request!.path).toBe('/fineract-provider/api/v1/clients/42');
    expect(request!.headers['fineract-platform-tenantid']).toBe(TENANT);
    expect(request!.headers['x-mifos-platform-tenantid']).toBe(TENANT);
    expect(request!.headers.authorization).toBe(`Basic ${fake.token}`);
    expect(request!.headers.accept).toBe('application/json');
  });

  it('works with a 2015 MifosX that reads only the X-Mifos tenant header', async () => {
    // Prepare
    const mifosx = await FakeFineract.start({ basePath: '/mifosng-provider/api/v1/', tenantHeader: 'mifosx' });
    mifosx.addLoan({ id: 7, accountNo: '000000007', clientId: 42, clientName: 'Jane Doe' });
    // Act
    const loan = await client.get(mifosx.apiBase, 'loans/7', { tenantId: TENANT, mifosToken: mifosx.token });
    await mifosx.stop();
    // Assess
    expect(loan).toMatchObject({ accountNo: '000000007' });
  });

  it('calls …/api/v1/ when the registered endpoint ends in /api/ (Fineract ≥ 1.9)', async () => {
    // Prepare
    const endpoint = `${fake.origin}/fineract-provider/api/`;
    // Act
    const savings = await client.get(endpoint, 'savingsaccounts/9', { tenantId: TENANT, mifosToken: fake.token });
    // Assess
    expect(savings).toMatchObject({ accountNo: '000000009', clientName: 'Jane Doe' });
    expect(fake.requests[0]!.path).toBe('/fineract-provider/api/v1/savingsaccounts/9');
  });

  it('sends a JWT as a Bearer token', async () => {
    // Prepare
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtaWZvcyJ9.c2lnbmF0dXJl';
    const oauth = await FakeFineract.start({ bearerToken: jwt });
    oauth.addClient({ id: 1, displayName: 'A' });
    // Act
    await client.get(oauth.apiBase, 'clients/1', { tenantId: TENANT, mifosToken: jwt });
    await oauth.stop();
    // Assess
    expect(oauth.requests[0]!.headers.authorization).toBe(`Bearer ${jwt}`);
  });

  it('reports 404 with its status, not retryable, and succeeds once the sender committed', async () => {
    // Prepare
    fake.notFoundFirst(1);
    const auth = { tenantId: TENANT, mifosToken: fake.token };
    // Act
    const early = await rejectionOf(client.get(fake.apiBase, 'clients/42', auth), DownstreamError);
    const later = await client.get(fake.apiBase, 'clients/42', auth);
    // Assess
    expect(early).toMatchObject({ service: 'fineract', status: 404, retryable: false });
    expect(early.message).toContain('Client with identifier 42 does not exist');
    expect(later).toMatchObject({ id: 42 });
  });

  it('classifies 503 and 429 as retryable', async () => {
    // Prepare
    const auth = { tenantId: TENANT, mifosToken: fake.token };
    // Act
    fake.failNext(1, 503);
    const unavailable = await rejectionOf(client.get(fake.apiBase, 'clients/42', auth), DownstreamError);
    fake.respondNextWith(429, '{}', 'application/json', { 'retry-after': '30' });
    const throttled = await rejectionOf(client.get(fake.apiBase, 'clients/42', auth), DownstreamError);
    // Assess
    expect(unavailable).toMatchObject({ status: 503, retryable: true });
    expect(throttled).toMatchObject({ status: 429, retryable: true, retryAfterSeconds: 30 });
  });

  it('reports rejected credentials without the token, not retryable', async () => {
    // Prepare
    const wrongToken = Buffer.from('mifos:wrong-password').toString('base64');
    // Act
    const error = await rejectionOf(
      client.get(fake.apiBase, 'clients/42', { tenantId: TENANT, mifosToken: wrongToken }),
      DownstreamError,
    );
    // Assess
    expect(error).toMatchObject({ status: 401, retryable: false, code: 'credentials_rejected' });
    expect(error.message).toMatch(/^MifosX\/Fineract rejected the stored credentials \(HTTP 401\)/);
    expect(error.message).not.toContain(wrongToken);
    expect(error.message).not.toContain('wrong-password');
  });

  it('never puts the token in an error message, even when the server echoes it', async () => {
    // Prepare
    const token = fake.token;
    fake.respondNextWith(
      403,
      JSON.stringify({ defaultUserMessage: `Token ${token} (mifos:password) is not allowed`, errors: [] }),
    );
    // Act
    const error = await rejectionOf(
      client.get(fake.apiBase, 'clients/42', { tenantId: TENANT, mifosToken: token }),
      DownstreamError,
    );
    // Assess
    expect(error.status).toBe(403);
    expect(error.message).not.toContain(token);
    expect(error.message).not.toContain('mifos:password');
    expect(error.message).toContain('Token [redacted] ([redacted])');
  });

  it('treats a missing tenant on the server as a non-retryable 400', async () => {
    // Prepare
    const auth = { tenantId: 'other-tenant', mifosToken: fake.token };
    // Act
    const error = await rejectionOf(client.get(fake.apiBase, 'clients/42', auth), DownstreamError);
    // Assess
    expect(error).toMatchObject({ status: 400, retryable: false });
  });

  it('times out slow servers as retryable', async () => {
    // Prepare
    const impatient = new FineractHttpClient({ allowPrivate: true, timeoutMs: 150 });
    fake.delay(1000);
    // Act
    const error = await rejectionOf(
      impatient.get(fake.apiBase, 'clients/42', { tenantId: TENANT, mifosToken: fake.token }),
      DownstreamError,
    );
    impatient.destroy();
    // Assess
    expect(error).toMatchObject({ retryable: true, code: 'timeout' });
  });

  it('reports connection refused as retryable and recovers when the server is back', async () => {
    // Prepare
    const auth = { tenantId: TENANT, mifosToken: fake.token };
    await client.get(fake.apiBase, 'clients/42', auth); // leaves a keep-alive socket in the pool
    await fake.down();
    // Act
    const error = await rejectionOf(client.get(fake.apiBase, 'clients/42', auth), DownstreamError);
    await fake.up();
    const again = await client.get(fake.apiBase, 'clients/42', auth);
    // Assess
    expect(error).toMatchObject({ retryable: true });
    expect(error.message).toMatch(/ECONNREFUSED|ECONNRESET/);
    expect(again).toMatchObject({ id: 42 });
  });

  it('retries once on a fresh connection when a kept-alive socket was closed by the server', async () => {
    // Prepare
    const auth = { tenantId: TENANT, mifosToken: fake.token };
    await client.get(fake.apiBase, 'clients/42', auth); // the socket goes back to the keep-alive pool
    fake.dropNext(1);
    // Act
    const result = await client.get(fake.apiBase, 'clients/42', auth);
    // Assess
    expect(result).toMatchObject({ id: 42 });
    expect(fake.requests).toHaveLength(3);
  });

  it('reports a connection dropped on a fresh socket as retryable, without retrying it', async () => {
    // Prepare
    const auth = { tenantId: TENANT, mifosToken: fake.token };
    fake.dropNext(1);
    // Act
    const error = await rejectionOf(client.get(fake.apiBase, 'clients/42', auth), DownstreamError);
    // Assess
    expect(error).toMatchObject({ retryable: true, code: 'ECONNRESET' });
    expect(fake.requests).toHaveLength(1);
  });

  it('refuses invalid JSON, non-object JSON and oversized answers without retrying', async () => {
    // Prepare
    const small = new FineractHttpClient({ allowPrivate: true, maxResponseBytes: 1024 });
    const auth = { tenantId: TENANT, mifosToken: fake.token };
    // Act
    fake.respondNextWith(200, '<html>login</html>', 'text/html');
    const html = await rejectionOf(client.get(fake.apiBase, 'clients/42', auth), DownstreamError);
    fake.respondNextWith(200, '[1,2]');
    const array = await rejectionOf(client.get(fake.apiBase, 'clients/42', auth), DownstreamError);
    fake.respondNextWith(200, JSON.stringify({ blob: 'x'.repeat(5000) }));
    const big = await rejectionOf(small.get(fake.apiBase, 'clients/42', auth), DownstreamError);
    small.destroy();
    // Assess
    expect(html).toMatchObject({ retryable: false, code: 'invalid_json' });
    expect(array).toMatchObject({ retryable: false, code: 'invalid_json' });
    expect(big).toMatchObject({ retryable: false, code: 'response_too_large' });
  });

  it('does not follow redirects', async () => {
    // Prepare
    fake.respondNextWith(302, '', 'text/plain', { location: 'http://169.254.169.254/latest/meta-data/' });
    // Act
    const error = await rejectionOf(
      client.get(fake.apiBase, 'clients/42', { tenantId: TENANT, mifosToken: fake.token }),
      DownstreamError,
    );
    // Assess
    expect(error).toMatchObject({ status: 302, retryable: false, code: 'redirect' });
    expect(fake.requests).toHaveLength(1);
  });

  it('refuses paths that climb out of the API base', async () => {
    // Prepare
    const auth = { tenantId: TENANT, mifosToken: fake.token };
    // Act
    const error = await rejectionOf(client.get(fake.apiBase, '../../../admin/secrets', auth), DownstreamError);
    // Assess
    expect(error).toMatchObject({ retryable: false, code: 'url_not_allowed' });
    expect(fake.requests).toHaveLength(0);
  });

  describe('SSRF guard', () => {
    it('refuses loopback when private endpoints are not allowed, before connecting', async () => {
      // Prepare
      const strict = new FineractHttpClient({ allowPrivate: false });
      // Act
      const error = await rejectionOf(
        strict.get(fake.apiBase, 'clients/42', { tenantId: TENANT, mifosToken: fake.token }),
        DownstreamError,
      );
      strict.destroy();
      // Assess
      expect(error).toMatchObject({ service: 'fineract', retryable: false, code: 'url_not_allowed' });
      expect(error.message).toMatch(/loopback/);
      expect(fake.requests).toHaveLength(0);
    });

    it('refuses a host name that resolves to loopback at connect time', async () => {
      // Prepare
      const strict = new FineractHttpClient({ allowPrivate: false });
      const viaName = fake.apiBase.replace('127.0.0.1', 'localhost');
      // Act
      const error = await rejectionOf(
        strict.get(viaName, 'clients/42', { tenantId: TENANT, mifosToken: fake.token }),
        DownstreamError,
      );
      strict.destroy();
      // Assess
      expect(error).toMatchObject({ retryable: false, code: 'url_not_allowed' });
      expect(fake.requests).toHaveLength(0);
    });

    it.each([
      'http://169.254.169.254/latest/api/',
      'http://[fd00:ec2::254]/latest/api/',
      'http://[::ffff:169.254.169.254]/api/',
      'http://169.254.170.2/v2/api/',
    ])('always refuses the metadata address %s', async (endpoint) => {
      // Prepare: private endpoints allowed, which must not matter
      const auth = { tenantId: TENANT, mifosToken: fake.token };
      // Act
      const error = await rejectionOf(client.get(endpoint, 'clients/1', auth), DownstreamError);
      // Assess
      expect(error).toMatchObject({ retryable: false, code: 'url_not_allowed' });
      expect(error.message).toMatch(/never called/);
    });

    it('always refuses a name that resolves to a link-local address (DNS rebinding)', async () => {
      // Prepare
      const rebinding = new FineractHttpClient({
        allowPrivate: true,
        lookup: guardedLookup(true, dnsTable({ 'mifos.rebind.example': '169.254.169.254' })),
      });
      // Act
      const error = await rejectionOf(
        rebinding.get('http://mifos.rebind.example/fineract-provider/api/v1/', 'clients/1', { tenantId: TENANT }),
        DownstreamError,
      );
      rebinding.destroy();
      // Assess
      expect(error).toMatchObject({ retryable: false, code: 'url_not_allowed' });
      expect(error.message).toContain('mifos.rebind.example');
    });
  });
});

describe('authorizationHeader', () => {
  it.each([
    ['bWlmb3M6cGFzc3dvcmQ=', 'Basic bWlmb3M6cGFzc3dvcmQ='],
    ['eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig_nature-1', 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig_nature-1'],
    ['2YotnFZFEjr1zCsicMWpAA', 'Bearer 2YotnFZFEjr1zCsicMWpAA'],
    ['Basic bWlmb3M6cGFzc3dvcmQ=', 'Basic bWlmb3M6cGFzc3dvcmQ='],
    ['', undefined],
    [undefined, undefined],
  ])('%s → %s', (token, expected) => {
    // Prepare: the token from the table
    // Act
    const header = authorizationHeader(token);
    // Assess
    expect(header).toBe(expected);
  });
});
