import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type { Logger as LoggerPort, Metrics } from '../core/ports';

const SERVICE = process.env.POWERTOOLS_SERVICE_NAME ?? 'fineract-hook-receiver';

/** Structured JSON logs (Powertools) in Lambda and locally; the core only sees the Logger port. */
export function createLogger(serviceName = SERVICE): Logger {
  return new Logger({ serviceName, logLevel: (process.env.LOG_LEVEL as 'INFO' | undefined) ?? 'INFO' });
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
  options: { perTenant?: boolean } = { perTenant: process.env.PER_TENANT_METRICS === 'true' },
): Metrics {
  return {
    count(name, value = 1, dimensions) {
      metrics.addMetric(name, MetricUnit.Count, value);
      const tenantId = dimensions?.tenantId;
      if (options.perTenant && tenantId) {
        const single = metrics.singleMetric();
        single.addDimension('tenantId', tenantId);
        single.addMetric(name, MetricUnit.Count, value);
      }
    },
  };
}

export const noMetrics: Metrics = { count: () => {} };

/**
 * Middy middleware that flushes metrics after each invocation when there are any. Powertools' own `logMetrics`
 * warns on every invocation without metrics (pings, duplicates), which would be most log lines here.
 */
export function flushMetrics(metrics: PowertoolsMetrics) {
  const flush = async () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { after: flush, onError: flush };
}
