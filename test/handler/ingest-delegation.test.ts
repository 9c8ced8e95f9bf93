/**
 * Ingest is API Gateway's $default: `//configuration` and `/modules/sms//configuration` (a Payload URL ending in
 * `/` plus `/configuration`) arrive there. It hands them to the register function instead of answering 308.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { lambdaDelegate, lazyLambdaInvoke } from '../../lambdas/adapters/lambda-delegate';
import { noMetrics } from '../../lambdas/adapters/observability';
import { Authenticator } from '../../lambdas/core/api-keys';
import { makeHandler } from '../../lambdas/ingest/handler';
import { apiEvent } from '../helpers/apigw-events';
import { CapturingLogger } from '../helpers/capturing-logger';
import { FakeClock } from '../helpers/fake-clock';
import { MemoryQueue } from '../helpers/memory-queue';
import { memoryWorld } from '../helpers/memory-ports';

function ingestWith(delegated: APIGatewayProxyEventV2[]) {
  const world = memoryWorld();
  const clock = new FakeClock();
  return makeHandler(() => ({
    auth: new Authenticator(world.tenants, clock, 0),
    events: world.events,
    queue: new MemoryQueue(),
    clock,
    logger: new CapturingLogger(),
    metrics: noMetrics,
    settings: { maxBodyBytes: 1024 * 1024, sweepGraceSeconds: 300 },
    delegates: {
      register: async (event) => {
        delegated.push(event);
        return { statusCode: 200, body: '{"status":"registered"}' };
      },
    },
  }));
}

describe('ingest hands registration spellings to the register function', () => {
  it.each(['//configuration', '/modules/sms//configuration', '/configuration/'])(
    'POST %s is answered by register, not with a 308',
    async (path) => {
      // Prepare
      const delegated: APIGatewayProxyEventV2[] = [];
      const ingest = ingestWith(delegated);

      // Act
      const result = await ingest(apiEvent('POST', path, { 'content-type': 'application/json' }, '{}'));

      // Assess
      expect(result).toEqual({ statusCode: 200, body: '{"status":"registered"}' });
      expect(delegated.map((e) => e.rawPath)).toEqual([path]);
    },
  );

  it('keeps hook paths and unknown paths for itself', async () => {
    // Prepare
    const delegated: APIGatewayProxyEventV2[] = [];
    const ingest = ingestWith(delegated);

    // Act
    const ping = await ingest(apiEvent('GET', '/modules/sms/'));
    const unknown = await ingest(apiEvent('POST', '/nowhere'));

    // Assess
    expect(ping.statusCode).toBe(200);
    expect(unknown.statusCode).toBe(404);
    expect(delegated).toEqual([]);
  });

  it('invokes the named function with the event unchanged and returns its answer', async () => {
    // Prepare
    const lambda = mockClient(LambdaClient);
    const answer = { statusCode: 201, body: '{"apiKey":"k"}' };
    lambda.on(InvokeCommand).resolves({ Payload: new TextEncoder().encode(JSON.stringify(answer)) as never });
    const event = apiEvent('POST', '//configuration', {}, '{}');

    // Act
    const result = await lambdaDelegate(lazyLambdaInvoke({ region: 'eu-west-1' }), 'stack-Register')(event);

    // Assess
    expect(result).toEqual(answer);
    const input = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(input.FunctionName).toBe('stack-Register');
    expect(JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array))).toEqual(event);
    lambda.restore();
  });
});
