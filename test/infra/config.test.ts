import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ConfigError, DEFAULT_STACK_NAME, readConfig, readStackName } from '../../lib/config';

const from = (context: Record<string, unknown>) => readConfig((key) => context[key]);

describe('readConfig', () => {
  test('defaults when no context is given', () => {
    // Act
    const config = from({});
    // Assess
    expect(config).toEqual({
      removalPolicy: RemovalPolicy.RETAIN,
      logRetention: RetentionDays.THREE_MONTHS,
      logLevel: 'INFO',
      maxReceiveCount: 12,
      workerMaxConcurrency: 5,
      reservedConcurrency: {},
      sweepMinutes: 5,
      throttleRateLimit: 200,
      throttleBurstLimit: 400,
      secretPrefix: undefined,
      publicBaseUrl: undefined,
      openEnrollment: false,
      allowPrivateEndpoints: false,
      smsDryRun: false,
      retryScheduleSeconds: undefined,
      keyGraceSeconds: 86400,
      alarmEmail: undefined,
      alarmTopic: true,
      perTenantMetrics: false,
      tenantsTableName: undefined,
      eventsTableName: undefined,
      dataKeySecretArn: undefined,
      statusFunctionUrl: true,
    });
  });

  test('cdk.json values (numbers, booleans, objects) are accepted like -c strings', () => {
    // Act
    const config = from({ maxReceiveCount: 5, smsDryRun: true, reservedConcurrency: { worker: 6 } });
    // Assess
    expect(config).toMatchObject({ maxReceiveCount: 5, smsDryRun: true, reservedConcurrency: { worker: 6 } });
  });

  test('individual reserved-concurrency keys win over the JSON object', () => {
    // Act
    const config = from({ reservedConcurrency: '{"worker":3,"sweeper":1}', workerReservedConcurrency: '8' });
    // Assess
    expect(config.reservedConcurrency).toEqual({ worker: 8, sweeper: 1 });
  });

  test.each([
    [{ workerMaxConcurrency: '1' }, /workerMaxConcurrency/],
    [{ maxReceiveCount: 'twelve' }, /maxReceiveCount/],
    [{ removalPolicy: 'snapshot' }, /removalPolicy/],
    [{ logRetentionDays: '45' }, /not a CloudWatch retention period/],
    [{ reservedConcurrency: '{worker:3}' }, /JSON object/],
    [{ reservedConcurrency: '{"workers":3}' }, /unknown function "workers"/],
    [{ retryScheduleSeconds: '10,soon' }, /retryScheduleSeconds/],
    [{ publicBaseUrl: 'http://insecure.example.org' }, /https/],
    [{ secretPrefix: 'bad prefix/' }, /secretPrefix/],
    [{ openEnrollment: 'maybe' }, /openEnrollment/],
    [{ logLevel: 'verbose' }, /logLevel/],
    [{ ingestReservedConcurrency: '0' }, /"ingestReservedConcurrency": 0 would stop the function/],
    [{ reservedConcurrency: '{"twilioStatus":0}' }, /"twilioStatusReservedConcurrency": 0 would stop/],
    [
      { reservedConcurrency: '{"worker":4}' },
      /4 is below the queue consumer's maximum concurrency \(workerMaxConcurrency=5\)/,
    ],
    [{ workerMaxConcurrency: '20', workerReservedConcurrency: '10' }, /workerMaxConcurrency=20/],
    [{ allowPrivateEndpoints: 'true' }, /Lambda Runtime API on 127\.0\.0\.1/],
    [{ alarmTopic: 'false', alarmEmail: 'ops@example.org' }, /contradicts alarmEmail/],
    [{ tenantsTableName: 'no spaces allowed' }, /tenantsTableName/],
    [{ eventsTableName: 'x' }, /eventsTableName/],
  ])('rejects %j at synth time', (context, message) => {
    // Act
    const act = () => from(context);
    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(message);
  });
});

describe('concurrency and the other AWS-only rules', () => {
  test('a worker reservation equal to its maximum concurrency, and ingest and twilio-status reservations, pass', () => {
    // Act
    const config = from({ reservedConcurrency: '{"worker":5,"ingest":20}', twilioStatusReservedConcurrency: '2' });
    // Assess
    expect(config.reservedConcurrency).toEqual({ worker: 5, ingest: 20, twilioStatus: 2 });
  });

  test('allowPrivateEndpoints=false is accepted, and the alarm topic can be turned off without an e-mail', () => {
    // Act
    const config = from({ allowPrivateEndpoints: 'false', alarmTopic: 'false' });
    // Assess
    expect(config).toMatchObject({ allowPrivateEndpoints: false, alarmTopic: false });
  });

  test('retained table names to re-attach', () => {
    // Act
    const config = from({ tenantsTableName: 'Old-Tenants_1', eventsTableName: 'Old.Events-2' });
    // Assess
    expect(config).toMatchObject({ tenantsTableName: 'Old-Tenants_1', eventsTableName: 'Old.Events-2' });
  });
});

describe('readStackName', () => {
  test('defaults to FineractHookReceiver, takes -c stackName', () => {
    // Act
    const names = [
      readStackName(() => undefined),
      readStackName((key) => (key === 'stackName' ? 'Hooks-Staging' : undefined)),
    ];
    // Assess
    expect(names).toEqual([DEFAULT_STACK_NAME, 'Hooks-Staging']);
    expect(DEFAULT_STACK_NAME).toBe('FineractHookReceiver');
  });

  test.each(['1stack', 'with_underscore', 'a'.repeat(129)])('refuses %s', (name) => {
    // Act
    const act = () => readStackName(() => name);
    // Assess
    expect(act).toThrow(/Context "stackName"/);
  });
});
