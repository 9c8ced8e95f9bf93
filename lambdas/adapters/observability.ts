import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type { Logger as LoggerPort, Metrics } from '../core/ports';
import { LambdaLogFormatter } from './log-format';

const SERVICE = process.env.POWERTOOLS_SERVICE_NAME ?? 'fineract-hook-receiver';

/**
 * Structured JSON logs (Powertools) in Lambda and locally; the core only sees the Logger port. `lambda`: the
 * functions' shorter line (log-format.ts); the local server keeps Powertools' own.
 */
export function createLogger(serviceName = SERVICE, options: { lambda?: boolean } = {}): Logger {
  return new Logger({
    serviceName,
    logLevel: (process.env.LOG_LEVEL as 'INFO' | undefined) ?? 'INFO',
    ...(options.lambda ? { logFormatter: new LambdaLogFormatter() } : {}),
  });
}

/** The core's Logger port over Powertools (whose signature takes the extras as a rest parameter). */
export function loggerPort(logger: Logger): LoggerPort {
  return {
    debug: (message, extra) => (extra ? logger.debug(message, extra) : logger.debug(message)),
    info: (message, extra) => (extra ? logger.info(message, extra) : logger.info(message)),
    warn: (message, extra) => (extra ? logger.warn(message, extra) : logger.warn(message)),
    error: (message, extra) => (extra ? logger.error(message, extra) : logger.error(message)),
  };
}

/** Powertools metrics: EMF log lines, no SDK call; `flushMetrics` below publishes them once per invocation. */
export function createMetrics(): PowertoolsMetrics {
  return new PowertoolsMetrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'FineractHookReceiver',
    serviceName: SERVICE,
  });
}

/**
 * Every count goes to the service-wide metric the alarms watch. With PER_TENANT_METRICS=true (context
 * `perTenantMetrics`) a count the core tags with a tenantId is also published with a tenantId dimension: one custom
 * metric per tenant and name, billed each month, which is why it is off by default.
 */
export function metricsPort(
  metrics: PowertoolsMetrics,
  options: { perTenant?: boolean; lineLevel?: string } = {
    perTenant: process.env.PER_TENANT_METRICS === 'true',
    lineLevel: metricLineLevel(),
  },
): Metrics {
  return {
    count(name, value = 1, dimensions) {
      metrics.addMetric(name, MetricUnit.Count, value);
      const tenantId = dimensions?.tenantId;
      if (options.perTenant && tenantId) {
        const single = metrics.singleMetric();
        single.addDimension('tenantId', tenantId);
        if (options.lineLevel) single.addMetadata('level', options.lineLevel);
        single.addMetric(name, MetricUnit.Count, value);
      }
    },
  };
}

export const noMetrics: Metrics = { count: () => {} };

/** Lambda's levels from the most to the least detailed; a line without a level counts as INFO. */
const LAMBDA_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

/**
 * The level a metric line must carry to pass Lambda's application log filter (AWS_LAMBDA_LOG_LEVEL, set from the
 * function's application log level, lib/hook-function.ts), or undefined when it passes without one. An EMF line
 * has no `level`, Lambda counts it as INFO, and above INFO it would be dropped: the metrics, and the alarms on
 * them, with it. So it carries the filter's own level; a metadata key, which CloudWatch does not make a dimension.
 */
export function metricLineLevel(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const level = env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase();
  if (!level || !LAMBDA_LEVELS.includes(level)) return undefined;
  return LAMBDA_LEVELS.indexOf(level) > LAMBDA_LEVELS.indexOf('INFO') ? level : undefined;
}

/**
 * Middy middleware that flushes metrics after each invocation when there are any. Powertools' own `logMetrics`
 * warns on every invocation without metrics (pings, duplicates), which would be most log lines here.
 */
export function flushMetrics(metrics: PowertoolsMetrics, lineLevel = metricLineLevel()) {
  const flush = async () => {
    if (!metrics.hasStoredMetrics()) return;
    if (lineLevel) metrics.addMetadata('level', lineLevel);
    metrics.publishStoredMetrics();
  };
  return { after: flush, onError: flush };
}
