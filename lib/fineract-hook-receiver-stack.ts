import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { parseSchedule } from '../lambdas/core/settings';
import { Api } from './api';
import { FUNCTION_USES } from './access';
import { type ReceiverConfig, readConfigFromContext } from './config';
import { DataKey } from './data-key';
import { Observability } from './observability';
import { OperatorPolicy } from './operator';
import { Processing } from './processing';
import { AwsSms } from './sms-events';
import { Storage } from './storage';

export interface FineractHookReceiverStackProps extends StackProps {
  /** Overrides the CDK context (tests); by default the config is read from context. */
  readonly config?: ReceiverConfig;
}

/** Env every function gets: they all build the same Settings, and a flag seen by only some would diverge. */
function settingsEnv(config: ReceiverConfig): Record<string, string> {
  const env: Record<string, string> = {
    OPEN_ENROLLMENT: String(config.openEnrollment),
    ALLOW_PRIVATE_ENDPOINTS: String(config.allowPrivateEndpoints),
    SMS_DRY_RUN: String(config.smsDryRun),
    KEY_GRACE_SECONDS: String(config.keyGraceSeconds),
    PER_TENANT_METRICS: String(config.perTenantMetrics),
  };
  if (config.retryScheduleSeconds !== undefined) env.RETRY_SCHEDULE_SECONDS = config.retryScheduleSeconds;
  return env;
}

export class FineractHookReceiverStack extends Stack {
  readonly config: ReceiverConfig;
  readonly secretPrefix: string;
  readonly storage: Storage;
  readonly dataKey: DataKey;
  readonly processing: Processing;
  readonly api: Api;
  readonly observability: Observability;
  readonly operator: OperatorPolicy;
  /** Only with `-c smsOriginationIdentities`: AWS End User Messaging SMS for `aws` tenants. */
  readonly awsSms?: AwsSms;

  constructor(scope: Construct, id: string, props: FineractHookReceiverStackProps = {}) {
    super(scope, id, props);
    const config = props.config ?? readConfigFromContext(this.node);
    this.config = config;
    // Per stack, so two deployments in one account never share tenant secrets.
    this.secretPrefix = config.secretPrefix ?? `${this.stackName.toLowerCase()}/tenants/`;
    const common = { config, secretPrefix: this.secretPrefix, settingsEnv: settingsEnv(config) };

    this.storage = new Storage(this, 'Storage', {
      removalPolicy: config.removalPolicy,
      tenantsTableName: config.tenantsTableName,
      eventsTableName: config.eventsTableName,
    });
    this.dataKey = new DataKey(this, 'DataKey', {
      removalPolicy: config.removalPolicy,
      existingSecretArn: config.dataKeySecretArn,
    });
    this.processing = new Processing(this, 'Processing', { ...common, storage: this.storage });
    this.api = new Api(this, 'Api', { ...common, storage: this.storage, queue: this.processing.queue });

    // Twilio status callbacks point here; the worker builds them, twilio-status checks their signature against it.
    const publicBaseUrl = config.publicBaseUrl ?? this.api.endpoint;
    this.processing.worker.setEnv('PUBLIC_BASE_URL', publicBaseUrl);
    this.api.twilioStatus.setEnv('PUBLIC_BASE_URL', publicBaseUrl);
    // ...unless the status function has its own URL: new messages' callbacks go there, no API Gateway request each
    // (twilio-status checks those against the host Lambda routed them by; it cannot be told its own URL, a cycle).
    if (this.api.statusUrl) this.processing.worker.setEnv('STATUS_CALLBACK_BASE_URL', this.api.statusUrl.url);

    if (config.smsOriginationIdentities) {
      this.awsSms = new AwsSms(this, 'AwsSms', {
        identities: config.smsOriginationIdentities,
        worker: this.processing.worker,
        register: this.api.register,
        status: this.api.twilioStatus,
        removalPolicy: config.removalPolicy,
      });
    }

    const functions = { ...this.api.functions, worker: this.processing.worker, sweeper: this.processing.sweeper };
    // Every function that reads or writes events or message records seals and opens what they hold.
    for (const [key, fn] of Object.entries(functions)) {
      const use = FUNCTION_USES[key as keyof typeof FUNCTION_USES];
      if (use.events || use.messages || use.search) fn.bindDataKey(this.dataKey.secret.secretArn);
    }
    this.observability = new Observability(this, 'Observability', {
      httpApi: this.api.httpApi,
      ingest: this.api.ingest.lambda,
      worker: this.processing.worker.lambda,
      sweeper: this.processing.sweeper.lambda,
      statusUrlFunction: this.api.statusUrl ? this.api.twilioStatus.lambda : undefined,
      queue: this.processing.queue,
      deadLetterQueue: this.processing.deadLetterQueue,
      removalPolicy: config.removalPolicy,
      sweepMinutes: config.sweepMinutes,
      retryScheduleSeconds: parseSchedule(config.retryScheduleSeconds),
      logGroups: Object.fromEntries(Object.entries(functions).map(([key, fn]) => [key, fn.logGroup])),
      alarmTopic: config.alarmTopic,
      alarmEmail: config.alarmEmail,
    });

    this.operator = new OperatorPolicy(this, 'Operator', {
      tenants: this.storage.tenants,
      events: this.storage.events,
      queue: this.processing.queue,
      deadLetterQueue: this.processing.deadLetterQueue,
      secretPrefix: this.secretPrefix,
      dataKeySecretArn: this.dataKey.secret.secretArn,
      logGroups: Object.values(functions).map((fn) => fn.logGroup),
    });

    const endpoint = this.api.endpoint;
    const outputs: Record<string, [string, string]> = {
      ApiUrl: [endpoint, 'Base URL of the hook receiver API'],
      SmsBridgePayloadUrlMifosX: [`${endpoint}/modules/sms`, 'Payload URL of the SMS Bridge hook (MifosX)'],
      SmsBridgePayloadUrlFineract: [`${endpoint}/modules/sms/`, 'Payload URL of the SMS Bridge hook (Fineract)'],
      WebHookPayloadUrlTemplate: [
        `${endpoint}/hooks/<api-key>/`,
        'Payload URL of a Web hook: put the tenant API key in',
      ],
      TenantsTableName: [this.storage.tenants.tableName, 'DynamoDB table of tenants and API keys'],
      EventsTableName: [this.storage.events.tableName, 'DynamoDB table of hook events and messages'],
      QueueUrl: [this.processing.queue.queueUrl, 'Work queue'],
      DeadLetterQueueUrl: [this.processing.deadLetterQueue.queueUrl, 'Dead-letter queue of the work queue'],
      SecretPrefix: [this.secretPrefix, 'Secrets Manager name prefix of tenant secrets'],
      DataKeySecretArn: [this.dataKey.secret.secretArn, 'Data key: seals numbers and bodies at rest (keep it)'],
      DashboardName: [this.observability.dashboard.dashboardName, 'CloudWatch dashboard of the receiver'],
      OperatorPolicyArn: [
        this.operator.policy.managedPolicyArn,
        'Managed policy with what the operator CLI needs against this stack: attach it to operators',
      ],
      ApiAccessLogGroupName: [this.api.accessLogGroup.logGroupName, 'API Gateway access logs'],
    };
    for (const [key, fn] of Object.entries(functions)) {
      const name = `${key[0]!.toUpperCase()}${key.slice(1)}`;
      outputs[`${name}LogGroupName`] = [fn.logGroup.logGroupName, `Log group of the ${key} function`];
    }
    if (this.api.statusUrl) {
      const url = this.api.statusUrl.url;
      outputs.StatusFunctionUrl = [url, 'Delivery reports go here (Twilio: set per message by the worker)'];
      outputs.AfricasTalkingDeliveryReportUrlTemplate = [
        `${url}africastalking/status/<tenant-id>`,
        "Africa's Talking delivery-report URL: put the tenant id in, set it in their dashboard",
      ];
    }
    if (this.awsSms) {
      outputs.SmsConfigurationSetName = [
        this.awsSms.configurationSet.ref,
        'End User Messaging configuration set every aws-tenant SMS names (delivery events → status function)',
      ];
    }
    if (this.observability.topic) {
      outputs.AlarmTopicArn = [this.observability.topic.topicArn, 'SNS topic every alarm notifies (subscribe to it)'];
    }
    for (const [name, [value, description]] of Object.entries(outputs)) {
      new CfnOutput(this, name, { value, description });
    }
  }
}
