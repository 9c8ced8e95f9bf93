import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { ReceiverConfig } from './config';
import { FUNCTION_USES, QUEUE_CONTROL } from './access';
import { HookFunction, type PortTargets } from './hook-function';
import { FUNCTION_MEMORY_MB } from './memory';
import type { Storage } from './storage';

// A batch runs its messages in parallel, each at most a Fineract callback (8 s) and a Twilio send (10 s), with its
// forwards in parallel beside them (FORWARD_TIMEOUT_MS each).
export const FORWARD_TIMEOUT_MS = 10_000;
export const WORKER_TIMEOUT = Duration.seconds(60);
// AWS's guidance for SQS event sources: at least 6x the function timeout, so a batch still being retried by the
// poller after a throttle is not made visible (and processed twice) meanwhile.
export const QUEUE_VISIBILITY_TIMEOUT = Duration.seconds(WORKER_TIMEOUT.toSeconds() * 6);
const RETENTION = Duration.days(14);

export interface ProcessingProps {
  readonly config: ReceiverConfig;
  readonly storage: Storage;
  readonly secretPrefix: string;
  /** Env shared by every function (feature flags): they all read the same Settings. */
  readonly settingsEnv: Record<string, string>;
}

/** The work queue with its DLQ, the worker that drains it and the sweeper that refills it from the store. */
export class Processing extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly worker: HookFunction;
  readonly sweeper: HookFunction;
  readonly sweepSchedule: Rule;

  constructor(scope: Construct, id: string, props: ProcessingProps) {
    super(scope, id);
    const { config, storage } = props;
    const functionDefaults = {
      logRetention: config.logRetention,
      removalPolicy: config.removalPolicy,
      logLevel: config.logLevel,
      environment: props.settingsEnv,
    };

    // No SQS3 acknowledgement needed: cdk-nag recognises this queue as the work queue's DLQ.
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: RETENTION,
    });

    this.queue = new Queue(this, 'WorkQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: RETENTION,
      visibilityTimeout: QUEUE_VISIBILITY_TIMEOUT,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: config.maxReceiveCount },
    });

    this.worker = new HookFunction(this, 'Worker', {
      ...functionDefaults,
      memorySize: FUNCTION_MEMORY_MB.worker,
      entryDir: 'worker',
      description: 'Sends SMS and forwards hook events taken from the work queue',
      timeout: WORKER_TIMEOUT,
      reservedConcurrentExecutions: config.reservedConcurrency.worker,
    });
    const targets: PortTargets = {
      tenants: storage.tenants,
      events: storage.events,
      queue: this.queue,
      secretPrefix: props.secretPrefix,
    };
    this.worker
      .bindPorts(FUNCTION_USES.worker, targets)
      // Consume covers ChangeMessageVisibility, the backoff of QueueControl; deadLetter sends to the DLQ itself.
      .bindQueue('QUEUE_URL', this.queue, 'consume')
      .bindQueue('DLQ_URL', this.deadLetterQueue, QUEUE_CONTROL.deadLetter)
      .setEnv('FORWARD_TIMEOUT_MS', String(FORWARD_TIMEOUT_MS));
    // EventBridge forwarding targets may only name the buses the operator listed at deploy time.
    if (config.forwardEventBuses && config.forwardEventBuses.length > 0) {
      this.worker.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['events:PutEvents'], resources: [...config.forwardEventBuses] }),
      );
    }
    this.worker.lambda.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
        maxConcurrency: config.workerMaxConcurrency,
      }),
    );

    this.sweeper = new HookFunction(this, 'Sweeper', {
      ...functionDefaults,
      memorySize: FUNCTION_MEMORY_MB.sweeper,
      entryDir: 'sweeper',
      description: 'Re-enqueues hook events that were stored but never dispatched',
      timeout: Duration.seconds(60),
      reservedConcurrentExecutions: config.reservedConcurrency.sweeper,
    });
    this.sweeper.bindPorts(FUNCTION_USES.sweeper, targets);

    this.sweepSchedule = new Rule(this, 'SweepSchedule', {
      description: 'Runs the sweeper',
      schedule: Schedule.rate(Duration.minutes(config.sweepMinutes)),
      // A missed run is harmless (the next one sweeps the same items), so no retries piling up behind it.
      targets: [new LambdaFunction(this.sweeper.lambda, { retryAttempts: 0 })],
    });
  }
}
