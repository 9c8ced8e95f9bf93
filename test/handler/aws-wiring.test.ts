/**
 * The AWS composition root: each function's deps builder reads the variables the stack sets on that function
 * (lib/api.ts, lib/processing.ts) once, and a missing one fails with its name instead of a vague error later.
 */
import { createLogger, createMetrics } from '../../lambdas/adapters/observability';
import { adminDeps } from '../../lambdas/wiring/aws/admin';
import { ingestDeps } from '../../lambdas/wiring/aws/ingest';
import type { LambdaObservability } from '../../lambdas/wiring/aws/lambda';
import { registerDeps } from '../../lambdas/wiring/aws/register';
import { sweeperDeps } from '../../lambdas/wiring/aws/sweeper';
import { twilioStatusDeps } from '../../lambdas/wiring/aws/twilio-status';
import { workerDeps } from '../../lambdas/wiring/aws/worker';

const observability: LambdaObservability = { logger: createLogger('test'), metrics: createMetrics() };

const STACK_ENV = {
  TENANTS_TABLE: 'stack-tenants',
  EVENTS_TABLE: 'stack-events',
  QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/work',
  DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/work-dlq',
  SECRET_PREFIX: 'stack/tenants/',
  PUBLIC_BASE_URL: 'https://api.example.org/',
};

type Builder = (o: LambdaObservability, env: NodeJS.ProcessEnv) => unknown;

/** Each function and the variables its stack binding gives it that its deps cannot do without. */
const FUNCTIONS: [string, Builder, (keyof typeof STACK_ENV)[]][] = [
  ['ingest', ingestDeps, ['TENANTS_TABLE', 'EVENTS_TABLE', 'QUEUE_URL']],
  ['register', registerDeps, ['TENANTS_TABLE', 'SECRET_PREFIX']],
  ['admin', adminDeps, ['TENANTS_TABLE', 'EVENTS_TABLE', 'QUEUE_URL', 'SECRET_PREFIX']],
  ['twilio-status', twilioStatusDeps, ['EVENTS_TABLE', 'SECRET_PREFIX', 'PUBLIC_BASE_URL']],
  ['worker', workerDeps, ['TENANTS_TABLE', 'EVENTS_TABLE', 'QUEUE_URL', 'DLQ_URL', 'SECRET_PREFIX', 'PUBLIC_BASE_URL']],
  ['sweeper', sweeperDeps, ['EVENTS_TABLE', 'QUEUE_URL']],
];

describe('AWS deps builders', () => {
  it.each(FUNCTIONS)('%s builds its deps from the stack’s variables', (_name, build, required) => {
    // Prepare
    const env = Object.fromEntries(required.map((name) => [name, STACK_ENV[name]]));

    // Act
    const deps = build(observability, env) as { settings?: object; worker?: { settings: object } };

    // Assess
    const settings = deps.settings ?? deps.worker?.settings;
    expect(settings).toMatchObject(
      Object.fromEntries(
        required
          .filter((name) => name === 'TENANTS_TABLE' || name === 'EVENTS_TABLE')
          .map((name) => [name === 'TENANTS_TABLE' ? 'tenantsTable' : 'eventsTable', STACK_ENV[name]]),
      ),
    );
  });

  it.each(FUNCTIONS.flatMap(([name, build, required]) => required.map((missing) => [name, missing, build] as const)))(
    '%s without %s names the variable',
    (_name, missing, build) => {
      // Prepare
      const env: NodeJS.ProcessEnv = { ...STACK_ENV, [missing]: undefined };

      // Act
      const act = () => build(observability, env);

      // Assess
      expect(act).toThrow(`${missing} is not set (the stack sets it)`);
    },
  );
});
