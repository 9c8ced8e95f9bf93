import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import { DownstreamError } from '../../lambdas/core/errors';
import type { FineractClient } from '../../lambdas/core/ports';
import { timedFineractClient } from '../../lambdas/core/timed-fineract';
import { apiRequestId } from '../../lambdas/wiring/aws/lambda';
import { CapturingLogger } from '../helpers/capturing-logger';
import { FakeClock } from '../helpers/fake-clock';

describe('fineract callback timing', () => {
  test('logs tenant, path without query, outcome and the duration on the injected clock', async () => {
    // Prepare
    const clock = new FakeClock();
    const logger = new CapturingLogger();
    const slow: FineractClient = {
      get: async () => {
        clock.advanceSeconds(1.5);
        return { id: 42 };
      },
    };
    const client = timedFineractClient(slow, { clock, logger });
    // Act
    const body = await client.get('https://mifos.example/fineract-provider/api/v1', '/clients/42?fields=x', {
      tenantId: 'default',
    });
    // Assess
    expect(body).toEqual({ id: 42 });
    expect(logger.entries).toEqual([
      {
        level: 'info',
        message: 'fineract callback',
        extra: { tenantId: 'default', path: '/clients/42', outcome: 'ok', durationMs: 1500 },
      },
    ]);
  });

  test('a failed callback is logged with its HTTP status and still thrown', async () => {
    // Prepare
    const clock = new FakeClock();
    const logger = new CapturingLogger();
    const failing: FineractClient = {
      get: async () => {
        throw new DownstreamError('fineract', 'not found', { retryable: false, status: 404 });
      },
    };
    // Act
    const call = timedFineractClient(failing, { clock, logger }).get('https://m.example/api/v1', '/loans/7', {
      tenantId: 't1',
    });
    // Assess
    await expect(call).rejects.toThrow('not found');
    expect(logger.entries[0]?.extra).toMatchObject({ outcome: '404', path: '/loans/7' });
  });
});

describe('API Gateway request id on log lines', () => {
  function capture(): { lines: () => Record<string, unknown>[]; restore: () => void } {
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    return {
      lines: () =>
        written
          .join('')
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as Record<string, unknown>),
      restore: () => spy.mockRestore(),
    };
  }

  test('lines of an HTTP invocation carry apiRequestId; the next, SQS, invocation does not', async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'test' });
    const handler = middy(async (_event: unknown) => {
      logger.info('handled');
    }).use(apiRequestId(logger));
    const out = capture();
    // Act
    try {
      await handler({ requestContext: { requestId: 'Abc123=' } }, {} as never);
      await handler({ Records: [] }, {} as never);
    } finally {
      out.restore();
    }
    // Assess
    const [http, sqs] = out.lines();
    expect(http).toMatchObject({ message: 'handled', apiRequestId: 'Abc123=' });
    expect(sqs).toMatchObject({ message: 'handled' });
    expect(sqs).not.toHaveProperty('apiRequestId');
  });
});
