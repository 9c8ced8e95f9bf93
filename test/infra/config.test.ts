import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ConfigError, readConfig } from '../../lib/config';

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
      alarmTopic: false,
    });
  });

  test('cdk.json values (numbers, booleans, objects) are accepted like -c strings', () => {
    // Act
    const config = from({ maxReceiveCount: 5, smsDryRun: true, reservedConcurrency: { worker: 3 } });
    // Assess
    expect(config).toMatchObject({ maxReceiveCount: 5, smsDryRun: true, reservedConcurrency: { worker: 3 } });
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
  ])('rejects %j at synth time', (context, message) => {
    // Act
    const act = () => from(context);
    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(message);
  });
});
