import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  type IMetric,
  GraphWidget,
  type IAlarmAction,
  SingleValueWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface ObservabilityProps {
  readonly httpApi: IHttpApi;
  readonly ingest: IFunction;
  readonly worker: IFunction;
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly removalPolicy: RemovalPolicy;
  /** Create an SNS topic for the alarms (implied by alarmEmail). */
  readonly alarmTopic?: boolean;
  readonly alarmEmail?: string;
}

/** Alarms on what needs an operator (dead letters, worker errors, API 5xx) and a one-screen dashboard. */
export class Observability extends Construct {
  readonly dlqAlarm: Alarm;
  readonly workerErrorsAlarm: Alarm;
  readonly api5xxAlarm: Alarm;
  readonly dashboard: Dashboard;
  readonly topic?: Topic;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const minute = Duration.minutes(1);
    const fiveMinutes = Duration.minutes(5);

    // Every alarm fires on the first non-zero datapoint: each one is an event at risk or a sender turned away.
    const alarmOn = (id: string, alarmDescription: string, metric: IMetric) =>
      new Alarm(this, id, {
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

    if (props.alarmTopic || props.alarmEmail) {
      // A customer-managed key: CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key,
      // whose policy cannot grant it kms:GenerateDataKey.
      const key = new Key(this, 'AlarmTopicKey', {
        description: 'Encrypts the hook receiver alarm topic',
        enableKeyRotation: true,
        removalPolicy: props.removalPolicy,
      });
      key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
      this.topic = new Topic(this, 'AlarmTopic', {
        displayName: 'Fineract hook receiver alarms',
        masterKey: key,
        enforceSSL: true,
      });
      if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
      const action: IAlarmAction = new SnsAction(this.topic);
      for (const alarm of [this.dlqAlarm, this.workerErrorsAlarm, this.api5xxAlarm]) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(24),
    });
    this.dashboard.addWidgets(
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
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Work queue',
        width: 12,
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
      new SingleValueWidget({
        title: 'Dead letters',
        width: 12,
        metrics: [
          props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: minute,
            statistic: 'Maximum',
            label: 'DLQ depth',
          }),
        ],
      }),
    );
  }

  get alarms(): Alarm[] {
    return [this.dlqAlarm, this.workerErrorsAlarm, this.api5xxAlarm];
  }
}
