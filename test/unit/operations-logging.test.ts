import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import { flushMetrics, metricLineLevel, metricsPort } from '../../lambdas/adapters/observability';
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

describe('per-tenant metrics switch', () => {
  function emitted(perTenant: boolean): Record<string, unknown>[] {
    const metrics = new PowertoolsMetrics({ namespace: 'Test', serviceName: 'svc' });
    const out = capture();
    try {
      metricsPort(metrics, { perTenant }).count('SmsSent', 1, { tenantId: 'acme' });
      metrics.publishStoredMetrics();
    } finally {
      out.restore();
    }
    return out.lines();
  }

  test('off: one service-wide datapoint, no tenant dimension anywhere', () => {
    // Act
    const lines = emitted(false);
    // Assess
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines)).not.toContain('acme');
  });

  test('on: the service-wide datapoint plus one with a tenantId dimension', () => {
    // Act
    const lines = emitted(true);
    // Assess
    const tagged = lines.filter((line) => line.tenantId === 'acme');
    expect(lines).toHaveLength(2);
    expect(tagged).toHaveLength(1);
    expect(tagged[0]).toMatchObject({ SmsSent: 1 });
  });
});

describe('metric lines under Lambda log-level filtering', () => {
  test('carry the filter level when it is above INFO, which Lambda gives a line without one', () => {
    // Act
    const levels = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'error', 'FATAL', '', 'NOISY'].map((level) =>
      metricLineLevel({ AWS_LAMBDA_LOG_LEVEL: level }),
    );
    // Assess
    expect(levels).toEqual([undefined, undefined, undefined, 'WARN', 'ERROR', 'FATAL', undefined, undefined]);
    expect(metricLineLevel({})).toBeUndefined();
  });

  test('the flushed EMF line and a per-tenant line keep their metrics and gain the level', async () => {
    // Prepare
    const metrics = new PowertoolsMetrics({ namespace: 'Test', serviceName: 'svc' });
    const flush = flushMetrics(metrics, 'WARN');
    const out = capture();
    // Act
    try {
      metricsPort(metrics, { perTenant: true, lineLevel: 'WARN' }).count('SmsSent', 1, { tenantId: 'acme' });
      await flush.after();
    } finally {
      out.restore();
    }
    // Assess
    const lines = out.lines();
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatchObject({ level: 'WARN', SmsSent: 1 });
    expect(JSON.stringify(lines.map((line) => line._aws))).not.toContain('level');
  });
});

describe('API Gateway request id on log lines', () => {
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
