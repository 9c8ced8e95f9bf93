import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import { createLogger, flushMetrics, metricLineLevel, metricsPort } from '../../lambdas/adapters/observability';
import middy from '@middy/core';
import { DownstreamError } from '../../lambdas/core/errors';
import type { FineractClient } from '../../lambdas/core/ports';
import { SLOW_CALLBACK_MS, timedFineractClient } from '../../lambdas/core/timed-fineract';
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

  test('a quick, good callback is logged at DEBUG only: INFO is for slow or failed ones', async () => {
    // Prepare
    const clock = new FakeClock();
    const logger = new CapturingLogger();
    const quick: FineractClient = {
      get: async () => {
        clock.advanceSeconds((SLOW_CALLBACK_MS - 1) / 1000);
        return { id: 42 };
      },
    };
    // Act
    await timedFineractClient(quick, { clock, logger }).get('https://m.example/api/v1', '/clients/42', {
      tenantId: 't1',
    });
    // Assess
    expect(logger.entries.map((e) => [e.level, e.message])).toEqual([['debug', 'fineract callback']]);
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

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

/** Powertools writes INFO and below to stdout, WARN and above to stderr; Lambda takes both. */
function capture(stream: NodeJS.WriteStream = process.stdout): {
  lines: () => Record<string, unknown>[];
  restore: () => void;
} {
  const written: string[] = [];
  const spy = jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
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

describe('the functions’ log line', () => {
  const context = {
    functionName: 'FineractHookReceiver-ApiIngestFunction-AbCdEf',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:FineractHookReceiver-ApiIngestFunction-AbCdEf',
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  } as never;

  test('keeps level, message, time and the invocation, not what the log group already says', () => {
    // Prepare
    const logger = createLogger('svc', { lambda: true });
    const out = capture();
    // Act
    try {
      logger.addContext(context);
      logger.info('event accepted', { tenantId: 'acme' });
      logger.addContext(context);
      logger.info('event accepted', { tenantId: 'acme' });
    } finally {
      out.restore();
    }
    // Assess: a cold invocation's lines add `cold_start: true`, nothing else
    const lines = out.lines();
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      const keys = Object.keys(line).filter((key) => key !== 'cold_start');
      expect(keys.sort()).toEqual(['function_request_id', 'level', 'message', 'tenantId', 'timestamp']);
      expect(line).toMatchObject({ level: 'INFO', function_request_id: 'c6af9ac6-7b61-11e6-9a41-93e812345678' });
    }
    expect(lines[1]).not.toHaveProperty('cold_start');
  });

  test('the local server keeps Powertools’ own line', () => {
    // Prepare
    const logger = createLogger('svc');
    const out = capture();
    // Act
    try {
      logger.info('listening');
    } finally {
      out.restore();
    }
    // Assess
    expect(out.lines()[0]).toMatchObject({ level: 'INFO', message: 'listening', service: 'svc' });
  });

  test('with LOG_LEVEL and Lambda’s application level the same (the stack sets both), Powertools logs at it', () => {
    // Prepare
    const previous = { alc: process.env.AWS_LAMBDA_LOG_LEVEL, own: process.env.LOG_LEVEL };
    process.env.AWS_LAMBDA_LOG_LEVEL = 'WARN';
    process.env.LOG_LEVEL = 'WARN';
    const out = capture(process.stderr);
    // Act
    try {
      const logger = createLogger('svc', { lambda: true });
      logger.info('dropped');
      logger.warn('kept');
      logger.error('kept too');
    } finally {
      out.restore();
      restoreEnv('AWS_LAMBDA_LOG_LEVEL', previous.alc);
      restoreEnv('LOG_LEVEL', previous.own);
    }
    // Assess: no level-mismatch warning; Lambda's filter reads `level` and knows WARN and ERROR by these names
    expect(out.lines().map((line) => [line.level, line.message])).toEqual([
      ['WARN', 'kept'],
      ['ERROR', 'kept too'],
    ]);
  });
});
