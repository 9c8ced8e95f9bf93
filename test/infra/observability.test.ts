import { Match, type Template } from 'aws-cdk-lib/assertions';
import { DEFAULT_RETRY_SCHEDULE } from '../../lambdas/core/settings';
import type { FineractHookReceiverStack } from '../../lib/fineract-hook-receiver-stack';
import {
  SMS_FAILURE_METRICS,
  SMS_FAILURE_RATE_PERCENT,
  SMS_SENT_METRIC,
  queueAgeThresholdSeconds,
} from '../../lib/observability';
import { logicalId, synthStack } from './synth';

let stack: FineractHookReceiverStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthStack());
});

type Resource = { Properties: Record<string, unknown> };

function queryNamed(name: string): Resource {
  const found = Object.values(template.findResources('AWS::Logs::QueryDefinition')).find(
    (query) => (query as Resource).Properties.Name === `FineractHookReceiver/${name}`,
  );
  if (!found) throw new Error(`no saved query "${name}"`);
  return found as Resource;
}

function alarmNamed(name: string): Resource {
  const found = Object.values(template.findResources('AWS::CloudWatch::Alarm')).find(
    (alarm) => (alarm as Resource).Properties.AlarmName === `FineractHookReceiver-${name}`,
  );
  if (!found) throw new Error(`no alarm "${name}"`);
  return found as Resource;
}

function dashboardBody(): string {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as Resource[];
  // The body is an Fn::Join of literal parts and references; the literal parts are what the widgets say.
  const parts = (dashboard!.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  return parts.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join('');
}

describe('saved Logs Insights queries', () => {
  test.each([
    ['events of a tenant', "tenantId = '<tenant>'"],
    ['failed SMS in the last 24 h', "status in ['failed', 'invalid-recipient']"],
    ['trace one eventId', "eventId = '<eventId>'"],
    ['slowest callbacks to Fineract', "message = 'fineract callback'"],
    ['ingest 4xx by reason', 'count(*) as requests by statusCode, code'],
  ])('"%s" filters on what the code logs', (name, fragment) => {
    // Act
    const query = queryNamed(name);
    // Assess
    expect(query.Properties.QueryString).toEqual(expect.stringContaining(fragment));
    expect((query.Properties.LogGroupNames as unknown[]).length).toBeGreaterThan(0);
  });

  test('"events of a tenant" runs over every function log group', () => {
    // Prepare
    const functions = { ...stack.api.functions, worker: stack.processing.worker, sweeper: stack.processing.sweeper };
    // Act
    const groups = queryNamed('events of a tenant').Properties.LogGroupNames;
    // Assess
    expect(groups).toEqual(Object.values(functions).map((fn) => ({ Ref: logicalId(fn.logGroup) })));
  });

  test('"slowest callbacks" sorts by the duration the worker logs', () => {
    expect(queryNamed('slowest callbacks to Fineract').Properties.QueryString).toEqual(
      expect.stringContaining('sort durationMs desc'),
    );
  });
});

describe('alarms added for operations', () => {
  test('SMS failure rate is metric math over the sent and failed counts of the worker', () => {
    // Act
    const alarm = alarmNamed('SmsFailureRate');
    // Assess
    expect(alarm.Properties.Threshold).toBe(SMS_FAILURE_RATE_PERCENT);
    const metrics = alarm.Properties.Metrics as { Id: string; Expression?: string; MetricStat?: unknown }[];
    const names = JSON.stringify(metrics);
    for (const name of [SMS_SENT_METRIC, ...SMS_FAILURE_METRICS]) expect(names).toContain(`"${name}"`);
    expect(metrics.some((m) => m.Expression?.includes('100 * failed'))).toBe(true);
  });

  test('queue age alarms beyond the whole retry schedule', () => {
    // Act
    const alarm = alarmNamed('QueueAge');
    // Assess
    expect(alarm.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: queueAgeThresholdSeconds(DEFAULT_RETRY_SCHEDULE),
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack.processing.queue), 'QueueName'] } }],
    });
  });

  test('every alarm, old and new, notifies the one topic', () => {
    // Prepare
    const topic = { Ref: logicalId(stack.observability.topic!) };
    // Assess
    expect(stack.observability.alarms).toHaveLength(8);
    template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [topic], OKActions: [topic] });
  });
});

describe('dashboard', () => {
  test('shows each alarm and the SMS, queue, sweeper and dead-letter graphs', () => {
    // Act
    const body = dashboardBody();
    // Assess
    for (const title of ['SMS', 'SMS failure rate (%)', 'Work queue', 'Sweeper', 'Dead letters', 'Alarms', 'Worker']) {
      expect(body).toContain(`"title":"${title}"`);
    }
    for (const alarm of stack.observability.alarms) {
      expect(body).toContain(logicalId(alarm));
    }
  });

  test('functions count per tenant only when perTenantMetrics is set', () => {
    // Prepare
    const { template: perTenant } = synthStack({ perTenantMetrics: 'true' });
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PER_TENANT_METRICS: 'false' }) },
    });
    perTenant.allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PER_TENANT_METRICS: 'true' }) },
    });
  });
});
