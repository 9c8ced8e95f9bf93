/**
 * Every path the local server serves, and the spellings `canonicalPath` folds into it (double slashes from a
 * Payload URL ending in `/`, a trailing slash), reaches the same function in AWS: through its own route key, or
 * through `$default` (ingest) and ingest's hand-over to the function that serves the canonical path.
 */
import { type RouteDef, canonicalPath, DELEGATE_ENV, type FunctionKey, ROUTES } from '../../lambdas/core/routes';
import { actionsOf, asArray, logicalId, statementsOfRole, synthStack } from './synth';

const { stack, template } = synthStack();
interface Resource {
  Properties: {
    IntegrationUri: { 'Fn::GetAtt': [string, string] };
    Environment: { Variables: Record<string, { Ref?: string }> };
    Role: { 'Fn::GetAtt': [string] };
  };
}
const resources = template.toJSON().Resources as Record<string, Resource>;
const fns = stack.api.functions;

/** Route keys of the template → the function logical id behind each. */
function routeTable(): Map<string, string> {
  const out = new Map<string, string>();
  for (const route of Object.values(template.findResources('AWS::ApiGatewayV2::Route'))) {
    const target = route.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
    const integration = resources[target['Fn::Join'][1][1].Ref]!;
    out.set(route.Properties.RouteKey as string, integration.Properties.IntegrationUri['Fn::GetAtt'][0]);
  }
  return out;
}

/** API Gateway's choice for a concrete path: an exact route key (a `{param}` is one non-empty segment), else $default. */
function apiGatewayTarget(method: string, path: string, routes: Map<string, string>): string {
  for (const [key, fn] of routes) {
    const [m, pattern] = key.split(' ');
    if (m !== method || !pattern) continue;
    const re = new RegExp(`^${pattern.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (re.test(path)) return fn;
  }
  return routes.get('$default')!;
}

/** What ingest hands over: the function named by the delegate variable, if ingest may invoke it. */
function delegatedBy(ingestId: string, fn: Exclude<FunctionKey, 'ingest'>): string | undefined {
  const env = resources[ingestId]!.Properties.Environment.Variables;
  const target = env[DELEGATE_ENV[fn]]?.Ref;
  if (!target) return undefined;
  const role = resources[ingestId]!.Properties.Role['Fn::GetAtt'][0];
  const invokable = statementsOfRole(template, role).some(
    (s) =>
      actionsOf(s).includes('lambda:InvokeFunction') &&
      asArray(s.Resource).some((r) => JSON.stringify(r) === JSON.stringify({ 'Fn::GetAtt': [target, 'Arn'] })),
  );
  return invokable ? target : undefined;
}

function concrete(path: string): string {
  return path.replace(/\{[^}]+\}/g, (name) => (name === '{messageId}' ? 'evt.CLIENT.CREATE' : 'default'));
}

/** The spellings a sender may produce for one path, all of which `canonicalPath` folds to the same one. */
function variants(path: string): string[] {
  const base = concrete(path);
  const segments = base.split('/').filter(Boolean);
  const doubled = segments.map((_, i) => `/${[...segments.slice(0, i), '', ...segments.slice(i)].join('/')}`);
  const all = [base, `${base}/`, `/${base}`, ...doubled].filter((p) => p !== '//');
  return [...new Set(all)].filter((p) => canonicalPath(p) === canonicalPath(base));
}

describe('path variants in AWS', () => {
  const routes = routeTable();
  const ingestId = logicalId(fns.ingest.lambda);
  const cases = ROUTES.flatMap((route) => variants(route.path).map((path) => [route.method, path, route] as const));

  it.each(cases)('%s %s reaches the function the local server uses', (method, path, route: RouteDef) => {
    // Act
    const first = apiGatewayTarget(method, path, routes);
    const reached = first === ingestId && route.fn !== 'ingest' ? delegatedBy(ingestId, route.fn) : first;

    // Assess
    expect(reached).toBe(logicalId(fns[route.fn].lambda));
  });

  it('covers the registration spellings old clients use', () => {
    // Assess
    expect(cases.map(([m, p]) => `${m} ${p}`)).toEqual(
      expect.arrayContaining(['POST //configuration', 'POST /modules/sms//configuration']),
    );
  });
});
