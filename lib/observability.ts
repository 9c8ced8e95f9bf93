import { ArnFormat, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  SingleValueWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type ILogGroup, QueryDefinition, QueryString } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_SERVICE, metricsNamespace } from './hook-function';

/**
 * The count the sweeper emits on every run: events it found due but not dispatched (`lambdas/core/sweeper.ts`).
 * Anything above zero means the queue lost or never got a message, which the sweeper then re-drove.
 */
export const SWEEPER_REDRIVE_METRIC = 'SweeperFound';

/** What the worker counts per SMS outcome (`lambdas/core/sms-channel.ts`, `lambdas/core/worker.ts`). */
export const SMS_SENT_METRIC = 'SmsSent';
export const SMS_FAILURE_METRICS = ['Event_failed', 'Event_invalid-recipient', 'EventDead'] as const;

/** Percent of SMS outcomes that failed, over this many outcomes at least (one failure of two is no trend). */
export const SMS_FAILURE_RATE_PERCENT = 20;
export const SMS_FAILURE_MIN_OUTCOMES = 5;

/**
 * A retried event keeps its queue message (hidden for the back-off), so the oldest message is legitimately as old
 * as the whole retry schedule. Older than that and an hour more, nobody is finishing it.
 */
export function queueAgeThresholdSeconds(retryScheduleSeconds: readonly number[]): number {
  return retryScheduleSeconds.reduce((sum, step) => sum + step, 0) + 3600;
}

export interface ObservabilityProps {
  readonly httpApi: IHttpApi;
  readonly ingest: IFunction;
  readonly worker: IFunction;
  readonly sweeper: IFunction;
  /** The status function when it has its own URL (lib/api.ts): its reports bypass the API's metrics. */
  readonly statusUrlFunction?: IFunction;
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly removalPolicy: RemovalPolicy;
  /** The sweeper's schedule: one re-drive datapoint per run at most. */
  readonly sweepMinutes: number;
  /** The worker's retry schedule, which bounds how old a queued message may legitimately be. */
  readonly retryScheduleSeconds: readonly number[];
  /** Each function's log group by function key (ingest, worker…): the saved queries run over them. */
  readonly logGroups: Record<string, ILogGroup>;
  /** Create the SNS topic every alarm notifies. @default true */
  readonly alarmTopic?: boolean;
  /** Subscribe this address to the topic (SNS mails a confirmation link first). */
  readonly alarmEmail?: string;
}

/**
 * Alarms on what needs an operator (dead letters, worker and sweeper errors, sweeper re-drives, API 5xx, SMS failure
 * rate, a queue nobody drains), the encrypted topic they notify, saved Logs Insights queries and a dashboard.
 */
export class Observability extends Construct {
  readonly dlqAlarm: Alarm;
  readonly workerErrorsAlarm: Alarm;
  readonly api5xxAlarm: Alarm;
  readonly sweeperErrorsAlarm: Alarm;
  readonly sweeperRedrivesAlarm: Alarm;
  readonly smsFailureRateAlarm: Alarm;
  readonly queueAgeAlarm: Alarm;
  /** Seconds: the queue age alarm's threshold, drawn on the dashboard too. */
  readonly queueAgeThreshold: number;
  readonly queries: Record<string, QueryDefinition>;
  /** Only when the status function has its own URL (its reports bypass the API's 5xx alarm). */
  readonly statusReportsLostAlarm?: Alarm;
  readonly dashboard: Dashboard;
  readonly topic?: Topic;
  readonly topicKey?: Key;
  /** Every alarm of this stack is named `<stack name>-<what>`; the topic's policies trust exactly that pattern. */
  readonly alarmNamePrefix: string;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const minute = Duration.minutes(1);
    const fiveMinutes = Duration.minutes(5);
    this.alarmNamePrefix = `${stack.stackName}-`;

    // Every alarm fires on the first non-zero datapoint: each one is an event at risk or a sender turned away.
    const alarmOn = (id: string, alarmDescription: string, metric: IMetric) =>
      new Alarm(this, id, {
        alarmName: `${this.alarmNamePrefix}${id.replace(/Alarm$/, '')}`,
        alarmDescription,
        metric,
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });

    this.dlqAlarm = alarmOn(
      'DeadLettersAlarm',
      'Hook events reached the dead-letter queue: inspect them, then redrive with the CLI.',
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum' }),
    );
    // Per-message failures are reported as batch item failures, so a function error means a whole batch failed.
    this.workerErrorsAlarm = alarmOn(
      'WorkerErrorsAlarm',
      'The worker function failed (whole batches are being retried).',
      props.worker.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
    );
    // Senders never retry: every 5xx is a hook event that may be lost unless the store succeeded.
    this.api5xxAlarm = alarmOn(
      'Api5xxAlarm',
      'The API answered 5xx to hook senders, which do not retry.',
      props.httpApi.metricServerError({ period: fiveMinutes, statistic: 'Sum' }),
    );
    // The sweeper is the safety net behind "stored means processed"; a failing one leaves lost messages lost.
    this.sweeperErrorsAlarm = alarmOn(
      'SweeperErrorsAlarm',
      'The sweeper function failed: events whose queue message was lost are not being re-driven.',
      props.sweeper.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
    );
    this.sweeperRedrivesAlarm = alarmOn(
      'SweeperRedrivesAlarm',
      'The sweeper re-drove events that were stored but never dispatched: the work queue lost or never got them.',
      this.sweeperRedrives(Duration.minutes(props.sweepMinutes)),
    );
    this.queueAgeThreshold = queueAgeThresholdSeconds(props.retryScheduleSeconds);
    this.smsFailureRateAlarm = this.createSmsFailureRateAlarm();
    this.queueAgeAlarm = this.createQueueAgeAlarm(props.queue);
    if (props.statusUrlFunction) {
      // Reports through the function URL bypass the API (and Api5xxAlarm); providers do not send a refused or
      // throttled report again, so each one counted here is a delivery status we will never know.
      const fn = props.statusUrlFunction;
      this.statusReportsLostAlarm = alarmOn(
        'StatusReportsLostAlarm',
        'Delivery reports through the status function URL failed (5xx) or were throttled: those statuses are lost.',
        new MathExpression({
          expression: 'FILL(errors, 0) + FILL(throttles, 0)',
          usingMetrics: {
            errors: fn.metric('Url5xxCount', { period: fiveMinutes, statistic: 'Sum' }),
            throttles: fn.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }),
          },
          period: fiveMinutes,
          label: 'reports lost',
        }),
      );
    }
    this.queries = this.createQueries(props.logGroups);

    if (props.alarmTopic ?? true) {
      const { topic, key } = this.createTopic(props);
      this.topic = topic;
      this.topicKey = key;
      const action = new SnsAction(topic);
      for (const alarm of this.alarms) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }

    this.dashboard = this.createDashboard(props);
  }

  get alarms(): Alarm[] {
    return [
      this.dlqAlarm,
      this.workerErrorsAlarm,
      this.api5xxAlarm,
      this.sweeperErrorsAlarm,
      this.sweeperRedrivesAlarm,
      this.smsFailureRateAlarm,
      this.queueAgeAlarm,
      ...(this.statusReportsLostAlarm ? [this.statusReportsLostAlarm] : []),
    ];
  }

  /** `arn:…:cloudwatch:<region>:<account>:alarm:<stack name>-*`: this stack's alarms and no one else's. */
  alarmArnPattern(): string {
    return Stack.of(this).formatArn({
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: `${this.alarmNamePrefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  private createSmsFailureRateAlarm(): Alarm {
    return new Alarm(this, 'SmsFailureRateAlarm', {
      alarmName: `${this.alarmNamePrefix}SmsFailureRate`,
      alarmDescription:
        `More than ${SMS_FAILURE_RATE_PERCENT}% of SMS failed over 15 minutes (at least ` +
        `${SMS_FAILURE_MIN_OUTCOMES} outcomes): run the "failed SMS" saved query.`,
      metric: this.smsFailureRate(Duration.minutes(15)),
      threshold: SMS_FAILURE_RATE_PERCENT,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  private createQueueAgeAlarm(queue: IQueue): Alarm {
    return new Alarm(this, 'QueueAgeAlarm', {
      alarmName: `${this.alarmNamePrefix}QueueAge`,
      alarmDescription:
        `The oldest work queue message is older than the whole retry schedule plus an hour (${this.queueAgeThreshold} s): ` +
        'the worker is not draining the queue.',
      metric: queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: this.queueAgeThreshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  /** A custom metric the functions count, summed; Powertools adds the service as the one default dimension. */
  private counted(metricName: string, period: Duration, label?: string): Metric {
    return new Metric({
      namespace: metricsNamespace(this),
      metricName,
      dimensionsMap: { service: METRICS_SERVICE },
      statistic: 'Sum',
      period,
      label,
    });
  }

  private sweeperRedrives(period: Duration): Metric {
    return this.counted(SWEEPER_REDRIVE_METRIC, period);
  }

  private smsFailures(period: Duration): MathExpression {
    const usingMetrics: Record<string, IMetric> = {};
    SMS_FAILURE_METRICS.forEach((name, i) => {
      usingMetrics[`f${i}`] = this.counted(name, period);
    });
    const sum = Object.keys(usingMetrics)
      .map((id) => `FILL(${id}, 0)`)
      .join(' + ');
    return new MathExpression({ expression: sum, usingMetrics, period, label: 'SMS failed' });
  }

  private smsFailureRate(period: Duration): MathExpression {
    const failed = this.smsFailures(period);
    const sent = this.counted(SMS_SENT_METRIC, period);
    return new MathExpression({
      expression:
        `IF((FILL(sent, 0) + failed) >= ${SMS_FAILURE_MIN_OUTCOMES}, ` + '100 * failed / (FILL(sent, 0) + failed), 0)',
      usingMetrics: { sent, failed },
      period,
      label: 'SMS failure rate (%)',
    });
  }

  /**
   * Saved Logs Insights queries (console: Logs Insights, "Saved queries"). They read the fields the functions log:
   * tenantId, eventId, status, error, code/statusCode of a refused request, durationMs of a Fineract callback and
   * apiRequestId, the API Gateway request id a sender's request can be found by. `<tenant>` / `<eventId>` are
   * placeholders to replace before running.
   */
  private createQueries(logGroups: Record<string, ILogGroup>): Record<string, QueryDefinition> {
    const all = Object.values(logGroups);
    const pick = (...keys: string[]) => keys.flatMap((key) => (logGroups[key] ? [logGroups[key]] : []));
    const prefix = Stack.of(this).stackName;
    const define = (id: string, name: string, groups: ILogGroup[], queryString: QueryString) =>
      new QueryDefinition(this, id, { queryDefinitionName: `${prefix}/${name}`, logGroups: groups, queryString });
    return {
      tenantEvents: define(
        'TenantEventsQuery',
        'events of a tenant',
        all,
        new QueryString({
          fields: ['@timestamp', 'level', 'message', 'eventId', 'entity', 'action', 'status', 'error', 'apiRequestId'],
          filterStatements: ["tenantId = '<tenant>'"],
          sort: '@timestamp desc',
          limit: 200,
        }),
      ),
      failedSms: define(
        'FailedSmsQuery',
        'failed SMS in the last 24 h',
        pick('worker'),
        new QueryString({
          fields: ['@timestamp', 'tenantId', 'eventId', 'entity', 'action', 'status', 'attempts', 'error'],
          filterStatements: [
            "status in ['failed', 'invalid-recipient'] or message = 'event dead after its last attempt'",
          ],
          sort: '@timestamp desc',
          limit: 500,
        }),
      ),
      traceEvent: define(
        'TraceEventQuery',
        'trace one eventId',
        all,
        new QueryString({
          // `@log` is the function's log group: the lines no longer repeat the function's name.
          fields: ['@timestamp', '@log', 'level', 'message', 'status', 'attempts', 'delaySeconds', 'error'],
          filterStatements: ["eventId = '<eventId>'"],
          sort: '@timestamp asc',
          limit: 100,
        }),
      ),
      slowestCallbacks: define(
        'SlowestCallbacksQuery',
        'slowest callbacks to Fineract',
        pick('worker'),
        new QueryString({
          fields: ['@timestamp', 'tenantId', 'path', 'outcome', 'durationMs'],
          filterStatements: ["message = 'fineract callback'"],
          sort: 'durationMs desc',
          limit: 50,
        }),
      ),
      ingest4xx: define(
        'Ingest4xxQuery',
        'ingest 4xx by reason',
        pick('ingest', 'register', 'twilioStatus'),
        new QueryString({
          filterStatements: ["message = 'request rejected'"],
          statsStatements: ['count(*) as requests by statusCode, code, @log'],
          sort: 'requests desc',
        }),
      ),
    };
  }

  private createTopic(props: ObservabilityProps): { topic: Topic; key: Key } {
    // Confused-deputy guard: CloudWatch acts for this account's alarms named after this stack, nothing else.
    const fromOurAlarms = {
      StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
      ArnLike: { 'aws:SourceArn': this.alarmArnPattern() },
    };
    const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');

    // A customer-managed key: CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key, whose
    // policy cannot grant it kms:GenerateDataKey.
    const key = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the hook receiver alarm topic',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisStack',
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        // In a key policy "*" is the key itself.
        resources: ['*'],
        conditions: fromOurAlarms,
      }),
    );

    const topic = new Topic(this, 'AlarmTopic', {
      displayName: 'Fineract hook receiver alarms',
      masterKey: key,
      enforceSSL: true,
    });
    // enforceSSL writes a topic policy holding only its deny statement, and any topic policy replaces SNS's default
    // same-account allow: without this statement CloudWatch could not publish a single alarm.
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisStack',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: fromOurAlarms,
      }),
    );
    if (props.alarmEmail) topic.addSubscription(new EmailSubscription(props.alarmEmail));
    return { topic, key };
  }

  private createDashboard(props: ObservabilityProps): Dashboard {
    const minute = Duration.minutes(1);
    const fiveMinutes = Duration.minutes(5);
    const dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(24) });
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Hook requests',
        width: 8,
        left: [
          props.httpApi.metricCount({ period: fiveMinutes, statistic: 'Sum', label: 'requests' }),
          props.httpApi.metricClientError({ period: fiveMinutes, statistic: 'Sum', label: '4xx' }),
          props.httpApi.metricServerError({ period: fiveMinutes, statistic: 'Sum', label: '5xx' }),
        ],
      }),
      new GraphWidget({
        title: 'Ingest latency (ms)',
        width: 8,
        left: [
          props.httpApi.metricLatency({ period: fiveMinutes, statistic: 'p50', label: 'API p50' }),
          props.httpApi.metricLatency({ period: fiveMinutes, statistic: 'p99', label: 'API p99' }),
          props.ingest.metricDuration({ period: fiveMinutes, statistic: 'p99', label: 'ingest function p99' }),
        ],
      }),
      new GraphWidget({
        title: 'Worker',
        width: 8,
        left: [
          props.worker.metricInvocations({ period: fiveMinutes, statistic: 'Sum', label: 'invocations' }),
          props.worker.metricErrors({ period: fiveMinutes, statistic: 'Sum', label: 'errors' }),
          props.worker.metricThrottles({ period: fiveMinutes, statistic: 'Sum', label: 'throttles' }),
        ],
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Work queue',
        width: 8,
        leftAnnotations: [{ value: this.queueAgeThreshold, label: 'age alarm' }],
        left: [
          props.queue.metricApproximateAgeOfOldestMessage({
            period: minute,
            statistic: 'Maximum',
            label: 'oldest (s)',
          }),
        ],
        right: [
          props.queue.metricApproximateNumberOfMessagesVisible({
            period: minute,
            statistic: 'Maximum',
            label: 'visible',
          }),
        ],
      }),
      new GraphWidget({
        title: 'Sweeper',
        width: 8,
        left: [
          this.sweeperRedrives(fiveMinutes).with({ label: 're-driven' }),
          props.sweeper.metricErrors({ period: fiveMinutes, statistic: 'Sum', label: 'errors' }),
        ],
      }),
      new SingleValueWidget({
        title: 'Dead letters',
        width: 8,
        metrics: [
          props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: minute,
            statistic: 'Maximum',
            label: 'DLQ depth',
          }),
        ],
      }),
    );
    this.addOperationsWidgets(dashboard, fiveMinutes);
    if (props.statusUrlFunction) {
      // Lambda's own metrics of a function URL (the API's graphs above no longer see delivery reports).
      const url = (name: string, label: string) =>
        props.statusUrlFunction!.metric(name, { period: fiveMinutes, statistic: 'Sum', label });
      dashboard.addWidgets(
        new GraphWidget({
          title: 'Delivery reports (status function URL)',
          width: 8,
          left: [url('UrlRequestCount', 'requests'), url('Url4xxCount', '4xx'), url('Url5xxCount', '5xx')],
        }),
      );
    }
    return dashboard;
  }

  /** SMS outcomes, their failure rate against the alarm threshold, and the state of every alarm. */
  private addOperationsWidgets(dashboard: Dashboard, fiveMinutes: Duration): void {
    dashboard.addWidgets(
      new GraphWidget({
        title: 'SMS',
        width: 8,
        left: [this.counted(SMS_SENT_METRIC, fiveMinutes, 'sent'), this.smsFailures(fiveMinutes)],
      }),
      new GraphWidget({
        title: 'SMS failure rate (%)',
        width: 8,
        left: [this.smsFailureRate(Duration.minutes(15))],
        leftAnnotations: [{ value: SMS_FAILURE_RATE_PERCENT, label: 'alarm' }],
      }),
      new AlarmStatusWidget({ title: 'Alarms', width: 8, alarms: this.alarms }),
    );
  }
}
