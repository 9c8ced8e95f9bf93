import { ArnFormat, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  Metric,
  SingleValueWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
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

export interface ObservabilityProps {
  readonly httpApi: IHttpApi;
  readonly ingest: IFunction;
  readonly worker: IFunction;
  readonly sweeper: IFunction;
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly removalPolicy: RemovalPolicy;
  /** The sweeper's schedule: one re-drive datapoint per run at most. */
  readonly sweepMinutes: number;
  /** Create the SNS topic every alarm notifies. @default true */
  readonly alarmTopic?: boolean;
  /** Subscribe this address to the topic (SNS mails a confirmation link first). */
  readonly alarmEmail?: string;
}

/**
 * Alarms on what needs an operator (dead letters, worker and sweeper errors, sweeper re-drives, API 5xx), the
 * encrypted topic they notify and a one-screen dashboard.
 */
export class Observability extends Construct {
  readonly dlqAlarm: Alarm;
  readonly workerErrorsAlarm: Alarm;
  readonly api5xxAlarm: Alarm;
  readonly sweeperErrorsAlarm: Alarm;
  readonly sweeperRedrivesAlarm: Alarm;
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

  private sweeperRedrives(period: Duration): Metric {
    return new Metric({
      namespace: metricsNamespace(this),
      metricName: SWEEPER_REDRIVE_METRIC,
      // Powertools adds the service as the one default dimension.
      dimensionsMap: { service: METRICS_SERVICE },
      statistic: 'Sum',
      period,
    });
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
    return dashboard;
  }
}
