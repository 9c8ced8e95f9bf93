import { Authenticator } from '../../lambdas/core/api-keys';
import { handleHookEvent, type IngestDeps } from '../../lambdas/core/ingest';
import { isAllowedSource, parseCidrList, ROOT_WEB_HOOK_REFUSAL } from '../../lambdas/core/root-web-hooks';
import { loadDelivery } from '../helpers/fixtures';
import { httpRequest, memoryWorld } from '../helpers/memory-ports';

function setup() {
  const world = memoryWorld();
  const deps: IngestDeps = {
    auth: new Authenticator(world.tenants, world.clock, 0),
    enrollments: world.tenants,
    events: world.events,
    queue: world.queue,
    clock: world.clock,
    logger: world.logger,
    metrics: world.metrics,
    settings: { maxBodyBytes: 1024 * 1024, sweepGraceSeconds: 300 },
  };
  const delivery = loadDelivery('fineract-web-json-loan-repayment-envelope');
  const postFrom = (sourceIp: string) =>
    handleHookEvent(
      { ...httpRequest({ path: '/', headers: delivery.headers, body: delivery.body }), sourceIp },
      deps,
    ).catch((error: unknown) => error);
  return { world, postFrom };
}

describe('keyless Fineract 1.5–1.6 Web hooks at the host root', () => {
  it('refuses them with a 401 naming the version issue and the fix when the tenant did not opt in', async () => {
    // Prepare
    const { postFrom } = setup();

    // Act
    const error = await postFrom('203.0.113.9');

    // Assess
    expect(error).toMatchObject({ statusCode: 401, message: ROOT_WEB_HOOK_REFUSAL });
    expect(ROOT_WEB_HOOK_REFUSAL).toContain('1.5–1.6');
    expect(ROOT_WEB_HOOK_REFUSAL).toContain('--root-web-hooks-from');
  });

  it('accepts them from an allow-listed address, as Web hook events', async () => {
    // Prepare
    const { world, postFrom } = setup();
    await world.tenants.putEnrollment({
      tenantId: 'default',
      enrolledAt: world.clock.iso(),
      rootWebHooksFrom: ['203.0.113.0/24'],
    });

    // Act
    const response = (await postFrom('203.0.113.9')) as { statusCode: number; body: string };

    // Assess
    expect(response.statusCode).toBe(200);
    const { eventId } = JSON.parse(response.body) as { eventId: string };
    expect(await world.events.get('default', eventId)).toMatchObject({ template: 'web' });
  });

  it('refuses them from any other address', async () => {
    // Prepare
    const { world, postFrom } = setup();
    await world.tenants.putEnrollment({
      tenantId: 'default',
      enrolledAt: world.clock.iso(),
      rootWebHooksFrom: ['203.0.113.0/24'],
    });

    // Act
    const error = await postFrom('198.51.100.1');

    // Assess
    expect(error).toMatchObject({ statusCode: 401 });
  });

  it('matches IPv4 and IPv6 blocks and single addresses; refuses what is not a CIDR', () => {
    expect(isAllowedSource('2001:db8::7', parseCidrList('2001:db8::/32'))).toBe(true);
    expect(isAllowedSource('198.51.100.7', parseCidrList('10.0.0.0/8, 198.51.100.7'))).toBe(true);
    expect(isAllowedSource('198.51.100.8', parseCidrList('198.51.100.7'))).toBe(false);
    expect(() => parseCidrList('203.0.113.0/33')).toThrow();
    expect(() => parseCidrList('example.org')).toThrow();
  });
});
