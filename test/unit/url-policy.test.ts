import {
  assertAddressAllowed,
  checkAddress,
  classifyAddress,
  normaliseApiBase,
  parseIPv6,
  validateOutboundUrl,
} from '../../lambdas/core/url-policy';
import { UrlNotAllowedError } from '../../lambdas/core/errors';
import type { AddressClass } from '../../lambdas/core/model';

describe('classifyAddress', () => {
  const table: [string, AddressClass][] = [
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.10', 'private'],
    ['100.64.0.1', 'private'],
    ['100.128.0.1', 'public'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['169.254.1.1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.0.8', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['198.19.255.255', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['2002:a9fe:a9fe::1', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['fd00:ec2::23', 'metadata'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['2001:4860:4860::8888', 'public'],
    ['[2606:4700::1111]', 'public'],
    ['localhost', 'invalid'],
    ['127.1', 'invalid'],
    ['010.0.0.1', 'invalid'],
    ['1::2::3', 'invalid'],
    ['1:2:3:4:5:6:7:8:9', 'invalid'],
  ];

  it.each(table)('%s is %s', (address, expected) => {
    // Prepare: the address from the table
    // Act
    const actual = classifyAddress(address);
    // Assess
    expect(actual).toBe(expected);
  });

  it('parses compressed and embedded IPv6 forms into eight groups', () => {
    // Prepare
    const forms = ['::ffff:10.0.0.1', '0:0:0:0:0:ffff:a00:1', '::FFFF:0A00:0001'];
    // Act
    const parsed = forms.map(parseIPv6);
    // Assess
    for (const groups of parsed) expect(groups).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001]);
  });
});

describe('UrlNotAllowedError reasons', () => {
  it('says invalid-url for a URL of the wrong shape and refused-address for a refused address', () => {
    // Prepare
    const reasonOf = (act: () => unknown) => {
      try {
        act();
      } catch (error) {
        return (error as UrlNotAllowedError).reason;
      }
      return undefined;
    };
    // Act
    const shape = reasonOf(() => validateOutboundUrl('ftp://mifos.example.org/'));
    const address = reasonOf(() => assertAddressAllowed('169.254.169.254', { allowPrivate: true }));
    // Assess
    expect(shape).toBe('invalid-url');
    expect(address).toBe('refused-address');
  });
});

describe('assertAddressAllowed', () => {
  const alwaysRefused = ['169.254.169.254', '169.254.170.2', 'fd00:ec2::254', 'fe80::1', '0.0.0.0', '::', '224.0.0.1'];

  it.each(alwaysRefused)('refuses %s even when private endpoints are allowed', (address) => {
    // Prepare
    const options = { allowPrivate: true };
    // Act
    const act = () => assertAddressAllowed(address, options);
    // Assess
    expect(act).toThrow(UrlNotAllowedError);
  });

  it.each(['127.0.0.1', '::ffff:127.0.0.1', '::1', '10.1.2.3', '192.168.0.5', 'fd12::1', '198.18.0.1'])(
    'refuses %s by default and allows it with allowPrivate',
    (address) => {
      // Prepare
      const strict = { allowPrivate: false };
      const lenient = { allowPrivate: true };
      // Act
      const refusal = checkAddress(address, strict);
      const allowed = checkAddress(address, lenient);
      // Assess
      expect(refusal?.reason).toMatch(/ALLOW_PRIVATE_ENDPOINTS/);
      expect(allowed).toBeUndefined();
    },
  );

  it('allows public addresses', () => {
    // Prepare
    const options = { allowPrivate: false };
    // Act
    const act = () => {
      assertAddressAllowed('8.8.8.8', options);
      assertAddressAllowed('2001:4860:4860::8888', options);
    };
    // Assess
    expect(act).not.toThrow();
  });

  it('names the host, not the resolved address, and is a 422 the caller may see', () => {
    // Prepare
    const options = { allowPrivate: false };
    // Act
    let caught: unknown;
    try {
      assertAddressAllowed('10.9.8.7', options, 'mifos.internal.example');
    } catch (error) {
      caught = error;
    }
    // Assess
    expect(caught).toBeInstanceOf(UrlNotAllowedError);
    const error = caught as UrlNotAllowedError;
    expect(error.statusCode).toBe(422);
    expect(error.code).toBe('url_not_allowed');
    expect(error.expose).toBe(true);
    expect(error.addressClass).toBe('private');
    expect(error.message).toContain('mifos.internal.example');
    expect(error.message).not.toContain('10.9.8.7');
  });
});

describe('validateOutboundUrl', () => {
  it.each([
    ['ftp://host/api/v1/', /scheme "ftp"/],
    ['file:///etc/passwd', /scheme "file"/],
    ['https://user:pass@host/api/v1/', /credentials/],
    ['not a url', /not valid/],
  ])('refuses %s', (url, message) => {
    // Prepare: the URL from the table
    // Act
    const act = () => validateOutboundUrl(url);
    // Assess
    expect(act).toThrow(message);
  });

  it('accepts http and https and normalises numeric hosts', () => {
    // Prepare
    const urls = ['https://mifos.example.org:8443/mifosng-provider/api/v1/', 'http://2130706433/'];
    // Act
    const [named, numeric] = urls.map(validateOutboundUrl);
    // Assess
    expect(named!.hostname).toBe('mifos.example.org');
    expect(numeric!.hostname).toBe('127.0.0.1');
  });
});

describe('normaliseApiBase', () => {
  it.each([
    ['https://h/fineract-provider/api/', 'https://h/fineract-provider/api/v1/'],
    ['https://h/fineract-provider/api', 'https://h/fineract-provider/api/v1/'],
    ['https://h:8443/mifosng-provider/api/v1', 'https://h:8443/mifosng-provider/api/v1/'],
    ['https://h:8443/mifosng-provider/api/v1/', 'https://h:8443/mifosng-provider/api/v1/'],
    ['https://h/fineract-provider/api/v1//', 'https://h/fineract-provider/api/v1/'],
    ['  https://h/fineract-provider/api/?tenantIdentifier=default ', 'https://h/fineract-provider/api/v1/'],
    ['https://h', 'https://h/'],
  ])('%s → %s', (endpoint, expected) => {
    // Prepare: the endpoint from the table
    // Act
    const base = normaliseApiBase(endpoint);
    // Assess
    expect(base).toBe(expected);
  });

  it('is idempotent', () => {
    // Prepare
    const once = normaliseApiBase('https://h/fineract-provider/api');
    // Act
    const twice = normaliseApiBase(once);
    // Assess
    expect(twice).toBe(once);
  });
});
