import { MethodNotAllowedError, NotFoundError } from '../../lambdas/core/errors';
import { canonicalPath, type FunctionKey, matchRoute, type Operation, ROUTES } from '../../lambdas/core/routes';
import { thrownBy } from '../helpers/errors';

describe('canonicalPath', () => {
  it.each([
    ['/', '/'],
    ['', '/'],
    ['//', '/'],
    ['/modules/sms', '/modules/sms'],
    ['/modules/sms/', '/modules/sms'],
    ['//modules//sms//', '/modules/sms'],
    ['/modules/sms//configuration', '/modules/sms/configuration'],
    ['/hooks/abc/', '/hooks/abc'],
  ])('turns %p into %p', (input, expected) => {
    // Prepare
    const path = input;

    // Act
    const canonical = canonicalPath(path);

    // Assess
    expect(canonical).toBe(expected);
  });
});

describe('matchRoute', () => {
  it.each<[string, string, Operation, FunctionKey, Record<string, string>]>([
    // Ingest: every place MifosX / Fineract may post to (docs/protocol.md §4), with and without trailing slash.
    ['POST', '/modules/sms', 'ingest', 'ingest', {}],
    ['POST', '/modules/sms/', 'ingest', 'ingest', {}],
    ['POST', '//modules//sms//', 'ingest', 'ingest', {}],
    ['POST', '/', 'ingest', 'ingest', {}],
    ['POST', '/modules/sms/?x=1', 'ingest', 'ingest', {}],
    ['POST', '/hooks/fhk_abc', 'ingest', 'ingest', { apiKey: 'fhk_abc' }],
    ['POST', '/hooks/fhk_abc/', 'ingest', 'ingest', { apiKey: 'fhk_abc' }],
    ['POST', '/hooks/fhk%2Fa%20b/', 'ingest', 'ingest', { apiKey: 'fhk/a b' }],
    // Pings at hook creation: GET on every ingest path.
    ['GET', '/modules/sms', 'ping', 'ingest', {}],
    ['GET', '/modules/sms/', 'ping', 'ingest', {}],
    ['GET', '/', 'ping', 'ingest', {}],
    ['GET', '/hooks/fhk_abc/', 'ping', 'ingest', { apiKey: 'fhk_abc' }],
    ['get', '/modules/sms/', 'ping', 'ingest', {}],
    // Registration: under the Payload URL (MifosX) and at the host root (Fineract ≥ 1.5).
    ['POST', '/modules/sms/configuration', 'register', 'register', {}],
    ['POST', '/modules/sms//configuration', 'register', 'register', {}],
    ['POST', '/modules/sms/configuration/', 'register', 'register', {}],
    ['POST', '/configuration', 'register', 'register', {}],
    ['POST', '//configuration/', 'register', 'register', {}],
    // Admin (the old bridge's API).
    ['GET', '/modules/sms/configuration/default', 'getConfig', 'admin', { tenantId: 'default' }],
    ['DELETE', '/modules/sms/configuration/default/', 'deleteConfig', 'admin', { tenantId: 'default' }],
    ['GET', '/modules/sms/events/default', 'listEvents', 'admin', { tenantId: 'default' }],
    ['POST', '/modules/sms/events/default/_resend', 'resendEvents', 'admin', { tenantId: 'default' }],
    ['GET', '/modules/sms/configuration/my%20tenant', 'getConfig', 'admin', { tenantId: 'my tenant' }],
    // Twilio delivery reports.
    [
      'POST',
      '/twilio/status/default/msg-1',
      'twilioStatus',
      'twilioStatus',
      { tenantId: 'default', messageId: 'msg-1' },
    ],
  ])('%s %s → %s on %s', (method, path, operation, fn, params) => {
    // Prepare
    const request = { method, path };

    // Act
    const match = matchRoute(request.method, request.path);

    // Assess
    expect(match.route.operation).toBe(operation);
    expect(match.route.fn).toBe(fn);
    expect(match.params).toEqual(params);
  });

  it.each([
    ['/', 'ping'],
    ['/modules/sms', 'ping'],
    ['/hooks/k/', 'ping'],
    ['/modules/sms/configuration/default', 'getConfig'],
    ['/modules/sms/events/default', 'listEvents'],
  ])('treats HEAD %s as GET (%s)', (path, operation) => {
    // Prepare
    const method = 'HEAD';

    // Act
    const match = matchRoute(method, path);

    // Assess
    expect(match.route.operation).toBe(operation);
    expect(match.route.method).toBe('GET');
  });

  it.each<[string, string, string[]]>([
    ['GET', '/configuration', ['POST']],
    ['GET', '/modules/sms/configuration', ['POST']],
    ['PUT', '/modules/sms', ['GET', 'POST']],
    ['DELETE', '/', ['GET', 'POST']],
    ['PATCH', '/hooks/k/', ['GET', 'POST']],
    ['POST', '/modules/sms/configuration/default', ['GET', 'DELETE']],
    ['DELETE', '/modules/sms/events/default', ['GET']],
    ['GET', '/modules/sms/events/default/_resend', ['POST']],
    ['GET', '/twilio/status/default/msg-1', ['POST']],
    ['HEAD', '/configuration', ['POST']],
  ])('refuses %s %s with 405 and allow %j', (method, path, allow) => {
    // Prepare
    const request = { method, path };

    // Act
    const error = thrownBy(() => matchRoute(request.method, request.path));

    // Assess
    expect(error).toBeInstanceOf(MethodNotAllowedError);
    expect(error).toMatchObject({ statusCode: 405, code: 'method_not_allowed' });
    expect([...(error as MethodNotAllowedError).allow].sort()).toEqual([...allow].sort());
    expect((error as Error).message).toContain(method);
  });

  it.each([
    '/favicon.ico',
    '/modules',
    '/modules/sms/unknown',
    '/modules/sms/events',
    '/modules/sms/events/default/_other',
    '/hooks',
    '/hooks/',
    '/hooks//',
    '/hooks/a/b',
    '/twilio/status/default',
    '/hooks/%E0%A4%A/',
  ])('answers 404 for %s with a hint where events and registration go', (path) => {
    // Prepare
    const method = 'POST';

    // Act
    const error = thrownBy(() => matchRoute(method, path));

    // Assess
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ statusCode: 404, code: 'not_found' });
    expect((error as Error).message).toContain('/modules/sms/');
    expect((error as Error).message).toContain('/configuration');
  });

  it('names the canonical path in the 404 message', () => {
    // Prepare
    const path = '//nothing//here//';

    // Act
    const error = thrownBy(() => matchRoute('GET', path));

    // Assess
    expect((error as Error).message).toContain('/nothing/here.');
  });

  it('has no two routes with the same method and canonical path', () => {
    // Prepare
    const seen = new Map<string, string>();

    // Act
    const duplicates = ROUTES.filter((route) => {
      const key = `${route.method} ${canonicalPath(route.path)}`;
      const dup = seen.has(key) && seen.get(key) !== route.operation;
      seen.set(key, route.operation);
      return dup;
    });

    // Assess
    expect(duplicates).toEqual([]);
  });
});
