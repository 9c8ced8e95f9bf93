import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { FineractHookReceiverStack } from '../../lib/fineract-hook-receiver-stack';
import { actionsOf, logicalId, resourcesOf, statementsOfRole, synthStack } from './synth';

// As `cdk -c key=value` passes them: strings.
const context = {
  removalPolicy: 'destroy',
  logRetentionDays: '30',
  logLevel: 'debug',
  maxReceiveCount: '3',
  workerMaxConcurrency: '7',
  reservedConcurrency: '{"worker":8,"ingest":50}',
  ingestReservedConcurrency: '20',
  sweepMinutes: '10',
  throttleRateLimit: '50',
  throttleBurstLimit: '100',
  secretPrefix: 'acme/hooks/',
  publicBaseUrl: 'https://hooks.example.org/',
  openEnrollment: 'true',
  smsDryRun: 'true',
  retryScheduleSeconds: '10,60,300',
  keyGraceSeconds: '3600',
  alarmEmail: 'ops@example.org',
};

let stack: FineractHookReceiverStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthStack(context));
});

describe('context options', () => {
  test('removalPolicy=destroy deletes tables and log groups with the stack', () => {
    // Act
    const resources = template.toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string }>;
    const kept = Object.entries(resources).filter(
      ([, r]) => ['AWS::DynamoDB::Table', 'AWS::Logs::LogGroup'].includes(r.Type) && r.DeletionPolicy !== 'Delete',
    );
    // Assess
    expect(kept).toEqual([]);
    // Deletion protection would make the stack delete fail.
    for (const table of Object.values(template.findResources('AWS::DynamoDB::Table'))) {
      expect(table.Properties.DeletionProtectionEnabled).toBe(false);
    }
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('queue, worker and sweeper settings', () => {
    // Assess
    template.hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: { maxReceiveCount: 3 } });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 7 } });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(10 minutes)' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  test('reserved concurrency from the JSON object, an individual key winning over it', () => {
    // Act
    const functions = template.toJSON().Resources;
    const reserved = (fn: { lambda: Parameters<typeof logicalId>[0] }) =>
      functions[logicalId(fn.lambda)].Properties.ReservedConcurrentExecutions;
    // Assess
    expect(reserved(stack.processing.worker)).toBe(8);
    expect(reserved(stack.api.ingest)).toBe(20);
    expect(reserved(stack.api.admin)).toBeUndefined();
  });

  test('flags, secret prefix and public base URL reach the functions', () => {
    // Act
    const functions = template.toJSON().Resources;
    const env = (fn: { lambda: Parameters<typeof logicalId>[0] }) =>
      functions[logicalId(fn.lambda)].Properties.Environment.Variables;
    // Assess
    expect(env(stack.processing.worker)).toMatchObject({
      LOG_LEVEL: 'DEBUG',
      OPEN_ENROLLMENT: 'true',
      ALLOW_PRIVATE_ENDPOINTS: 'false',
      SMS_DRY_RUN: 'true',
      RETRY_SCHEDULE_SECONDS: '10,60,300',
      KEY_GRACE_SECONDS: '3600',
      SECRET_PREFIX: 'acme/hooks/',
      PUBLIC_BASE_URL: 'https://hooks.example.org',
    });
    expect(env(stack.api.twilioStatus)).toMatchObject({ PUBLIC_BASE_URL: 'https://hooks.example.org' });
    expect(template.toJSON().Outputs.SecretPrefix.Value).toBe('acme/hooks/');
    const secretResources = statementsOfRole(template, logicalId(stack.api.register.role))
      .filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')))
      .flatMap(resourcesOf);
    expect(JSON.stringify(secretResources)).toMatch(/:secret:acme\/hooks\/\*"/);
  });

  test('alarmEmail subscribes the address to the encrypted, TLS-only topic that every alarm notifies', () => {
    // Prepare
    const topic = logicalId(stack.observability.topic!);
    // Act
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    // Assess
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.org' });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' } }),
        ],
      },
    });
    expect(alarms).toHaveLength(8);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic }]);
  });

  test('the sweeper re-drive alarm looks at one sweep interval', () => {
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'SweeperFound', Period: 600 });
  });
});

describe('alarmTopic=false', () => {
  test('no topic, no key, and alarms without actions', () => {
    // Act
    const { template: bare } = synthStack({ alarmTopic: 'false' });
    // Assess
    bare.resourceCountIs('AWS::SNS::Topic', 0);
    bare.resourceCountIs('AWS::KMS::Key', 0);
    for (const alarm of Object.values(bare.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toBeUndefined();
    }
  });
});
