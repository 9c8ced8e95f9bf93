/**
 * What a log line weighs in CloudWatch when a function writes it, measured with the libraries the functions use:
 * the local server writes its lines without the Lambda context (lambdas/adapters/local/file-log.ts), so each
 * application line gains what Powertools adds in Lambda, and each invocation that counted something writes one
 * EMF metric line. Used by bench/cost.ts on the lines the local server wrote during the end-to-end run.
 */
import type { Context } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogItem } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { LambdaLogFormatter } from '../lambdas/adapters/log-format';
import { METRICS_SERVICE } from '../lib/hook-function';

/**
 * A context as Lambda gives the stack's functions: CloudFormation names them `<stack>-<logical id>-<suffix>`, cut
 * to 64 characters, so a name of ~60 characters is typical; ids are UUIDs.
 */
const FUNCTION_NAME = 'FineractHookReceiver-ProcessingWorkerFunctionA1B2C3D4-AbCdEfGhIjKl';
const CONTEXT = {
  functionName: FUNCTION_NAME,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${FUNCTION_NAME}`,
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: `/aws/lambda/${FUNCTION_NAME}`,
  logStreamName: '2026/12/04/[$LATEST]0123456789abcdef0123456789abcdef',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 10_000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
} as Context;

/** Lambda sets it on every invocation, traced or not; Powertools logs its root as `xray_trace_id`. */
const TRACE_HEADER = 'Root=1-6751a0b0-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=0';

class RenderingLogger extends Logger {
  readonly rendered: string[] = [];
  protected override printLog(_level: number, log: LogItem): void {
    this.rendered.push(JSON.stringify(log.getAttributes()));
  }
}

/** The line the local server's log file holds for the same call (file-log.ts). */
function localLine(message: string, extra: Record<string, unknown>): string {
  return JSON.stringify({ timestamp: new Date().toISOString(), level: 'INFO', message, ...extra });
}

/**
 * Bytes a function's application line has over the local log file's line of the same call: what the functions'
 * formatter keeps of the Lambda context (lambdas/adapters/log-format.ts) and the API request id (`apiRequestId`,
 * on lines of API-invoked functions; counted on every line, a slight over-estimate).
 */
export function lambdaLineOverheadBytes(): number {
  const previous = process.env._X_AMZN_TRACE_ID;
  process.env._X_AMZN_TRACE_ID = TRACE_HEADER;
  try {
    // As createLogger builds it for a function (lambdas/adapters/observability.ts); a warm invocation's line.
    const logger = new RenderingLogger({
      serviceName: METRICS_SERVICE,
      logLevel: 'INFO',
      logFormatter: new LambdaLogFormatter(),
    });
    logger.addContext(CONTEXT);
    logger.addContext(CONTEXT);
    logger.appendKeys({ apiRequestId: 'c0ffee00-0000-4000-8000-000000000001' });
    const extra = { tenantId: 'default', eventId: 'MK13gwM-nanlhPJgA2GMks', status: 'sent', attempts: 1 };
    logger.info('event processed', extra);
    const lambda = Buffer.byteLength(logger.rendered[0] ?? '');
    return lambda - Buffer.byteLength(localLine('event processed', extra));
  } finally {
    if (previous === undefined) delete process.env._X_AMZN_TRACE_ID;
    else process.env._X_AMZN_TRACE_ID = previous;
  }
}

/** Bytes of the one EMF line an invocation writes for these counts (name → how many times it was counted). */
export function metricLineBytes(counts: Record<string, number>): number {
  const metrics = new Metrics({ namespace: 'FineractHookReceiver', serviceName: METRICS_SERVICE });
  for (const [name, times] of Object.entries(counts)) {
    for (let i = 0; i < times; i++) metrics.addMetric(name, MetricUnit.Count, 1);
  }
  const line = JSON.stringify(metrics.serializeMetrics());
  metrics.clearMetrics();
  return Buffer.byteLength(line);
}
