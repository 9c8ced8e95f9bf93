import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { statusCallbackUrl } from '../../lambdas/core/status-callback';
import { functionUrlOrigin, makeEventHandler, makeHandler } from '../../lambdas/twilio-status/handler';
import { FakeSignatureVerifier, memoryWorld, sentMessageRecord, statusDepsOf } from '../helpers/memory-ports';

const PUBLIC_BASE_URL = 'https://hooks.example.org';
const FUNCTION_HOST = 'abc123def456ghi789.lambda-url.eu-west-1.on.aws';
const FUNCTION_URL = `https://${FUNCTION_HOST}`;
const API_HOST = 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com';
const TOKEN = 'token-1';
const MESSAGE_ID = 'MK13gwM-nanlhPJgA2GMks.CLIENT.CREATE';
const SID = `SM${'1'.repeat(32)}`;
const PATH = `/twilio/status/default/${encodeURIComponent(MESSAGE_ID)}`;

const delivered = { MessageSid: SID, MessageStatus: 'delivered', AccountSid: `AC${'0'.repeat(32)}` };

/**
 * A request as Lambda hands it over from a function URL (payload 2.0, no route, no pathParameters) or from the
 * HTTP API route (its own host, the route key and pathParameters filled): the body base64 as both send forms.
 */
function httpEvent(
  via: 'functionUrl' | 'apiGateway',
  path: string,
  body: string,
  headers: Record<string, string>,
  domainName = via === 'functionUrl' ? FUNCTION_HOST : API_HOST,
): APIGatewayProxyEventV2 {
  const [apiId] = domainName.split('.');
  return {
    version: '2.0',
    routeKey: via === 'functionUrl' ? '$default' : 'POST /twilio/status/{tenantId}/{messageId}',
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    ...(via === 'apiGateway' ? { pathParameters: { tenantId: 'default', messageId: MESSAGE_ID } } : {}),
    requestContext: {
      accountId: via === 'functionUrl' ? 'anonymous' : '123456789012',
      apiId: apiId!,
      domainName,
      domainPrefix: apiId!,
      http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'TwilioProxy/1.1' },
      requestId: 'c0ffee00-0000-4000-8000-000000000001',
      routeKey: '$default',
      stage: '$default',
      time: '04/Dec/2026:17:00:00 +0000',
      timeEpoch: 1_796_403_600_000,
    },
    body: Buffer.from(body).toString('base64'),
    isBase64Encoded: true,
  };
}

async function setup() {
  const world = memoryWorld();
  const deps = statusDepsOf(world, { publicBaseUrl: PUBLIC_BASE_URL });
  await world.secrets.putTenantSecret('default', { smsProviderToken: TOKEN, registrationId: 'reg-1' });
  const record = sentMessageRecord(world, { messageId: MESSAGE_ID, sid: SID });
  await world.messages.createIfAbsent(record);
  const handle = makeEventHandler(() => deps);
  // What the local server runs: its events' domainName is the request's Host header (local-http.ts).
  const local = makeHandler(() => deps);

  /** A Twilio report signed over `signedBase` + the status path, sent the way `via` delivers it. */
  const report = async (
    via: 'functionUrl' | 'apiGateway',
    signedBase: string,
    options: { domainName?: string; host?: string } = {},
  ) => {
    const signature = FakeSignatureVerifier.sign(
      TOKEN,
      statusCallbackUrl(signedBase, 'default', MESSAGE_ID),
      delivered,
    );
    const headers = { 'x-twilio-signature': signature, host: options.host ?? options.domainName ?? FUNCTION_HOST };
    const event = httpEvent(via, PATH, new URLSearchParams(delivered).toString(), headers, options.domainName);
    return (await handle(event)) as APIGatewayProxyStructuredResultV2;
  };
  return { world, handle, local, report };
}

describe('status reports through the function URL', () => {
  it('takes the origin from the function URL host Lambda reports, and nothing else', () => {
    // Prepare
    const viaUrl = httpEvent('functionUrl', PATH, '', {});
    const viaApi = httpEvent('apiGateway', PATH, '', {});
    const lookalike = httpEvent('functionUrl', PATH, '', {}, 'abc.lambda-url.eu-west-1.on.aws.attacker.example');

    // Act
    const origins = [viaUrl, viaApi, lookalike].map(functionUrlOrigin);

    // Assess
    expect(origins).toEqual([FUNCTION_URL, undefined, undefined]);
  });

  it('records a Twilio report signed over the function URL it came through', async () => {
    // Prepare
    const { world, report } = await setup();

    // Act
    const response = await report('functionUrl', FUNCTION_URL);

    // Assess
    expect(response.statusCode).toBe(200);
    expect((await world.messages.get('default', MESSAGE_ID))?.status).toBe('delivered');
    expect(world.signatures.calls.map((c) => c.url)).toEqual([`${FUNCTION_URL}${PATH}`]);
  });

  it('still records reports through API Gateway signed over the public URL (messages sent before)', async () => {
    // Prepare
    const { world, report } = await setup();

    // Act
    const response = await report('apiGateway', PUBLIC_BASE_URL, { host: API_HOST });

    // Assess
    expect(response.statusCode).toBe(200);
    expect((await world.messages.get('default', MESSAGE_ID))?.status).toBe('delivered');
  });

  it('refuses a report signed for one URL and sent to the other, and never trusts the Host header', async () => {
    // Prepare
    const { world, report } = await setup();

    // Act
    const publicSignedToFunction = await report('functionUrl', PUBLIC_BASE_URL);
    const functionSignedToApi = await report('apiGateway', FUNCTION_URL, { host: FUNCTION_HOST });
    const hostSigned = await report('apiGateway', 'https://attacker.example.com', { host: 'attacker.example.com' });

    // Assess
    expect([publicSignedToFunction, functionSignedToApi, hostSigned].map((r) => r.statusCode)).toEqual([403, 403, 403]);
    expect((await world.messages.get('default', MESSAGE_ID))?.status).toBe('sent');
  });

  it("the local server's handler never takes a base from the event: a Host made to look like a function URL", async () => {
    // Prepare
    const { world, local } = await setup();
    const signature = FakeSignatureVerifier.sign(
      TOKEN,
      statusCallbackUrl(FUNCTION_URL, 'default', MESSAGE_ID),
      delivered,
    );
    const event = httpEvent('functionUrl', PATH, new URLSearchParams(delivered).toString(), {
      'x-twilio-signature': signature,
    });

    // Act
    const response = (await local(event)) as APIGatewayProxyStructuredResultV2;

    // Assess
    expect(response.statusCode).toBe(403);
    expect(world.signatures.calls.map((c) => c.url)).toEqual([`${PUBLIC_BASE_URL}${PATH}`]);
  });

  it("serves Africa's Talking reports and nothing but the status routes on the function URL", async () => {
    // Prepare
    const { handle } = await setup();
    const form = new URLSearchParams({ id: 'ATXid_unknown', status: 'Success', phoneNumber: '+254712345678' });

    // Act
    const africastalking = (await handle(
      httpEvent('functionUrl', '/africastalking/status/default', form.toString(), {}),
    )) as APIGatewayProxyStructuredResultV2;
    const hook = (await handle(
      httpEvent('functionUrl', '/modules/sms', '{}', { 'content-type': 'application/json' }),
    )) as APIGatewayProxyStructuredResultV2;

    // Assess: the report reached its handler (an unknown message), the hook was served by nothing here
    expect(africastalking.statusCode).toBe(404);
    expect(JSON.parse(String(africastalking.body)).error.message).toBe('Unknown message.');
    expect(hook.statusCode).toBe(404);
    expect(JSON.parse(String(hook.body)).error.message).toMatch(/by this function/);
  });
});
