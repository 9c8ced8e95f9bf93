import { type App, Stack, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { FineractHookReceiverStack } from '../../lib/fineract-hook-receiver-stack';
import { applyNagChecks } from '../../lib/nag';
import { addReceiverStack } from '../../lib/receiver-app';
import { testApp } from './synth';

/**
 * cdk-nag 3 is a policy-validation plugin (not an Aspect emitting Annotations): `validateScope` gives its report
 * directly, and an app with the plugin registered fails `synth()` on any unacknowledged finding.
 */
function findings(scope: IConstruct): string[] {
  const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(scope);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
}

function acknowledgements(scope: IConstruct): { path: string; id: string; reason: string }[] {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      ),
  );
}

let app: App;
let stack: FineractHookReceiverStack;

beforeAll(() => {
  // As bin/app.ts wires it.
  app = testApp();
  stack = addReceiverStack(app);
});

describe('cdk-nag AwsSolutions', () => {
  test('the default stack has no unacknowledged finding, and synthesizes with the checks registered', () => {
    // Act
    const found = findings(stack);
    // Assess
    expect(found).toEqual([]);
    expect(() => app.synth()).not.toThrow();
  });

  test('the stack with an alarm topic (KMS key, e-mail subscription) and destroy policy is clean too', () => {
    // Prepare
    const withTopic = new FineractHookReceiverStack(
      testApp({ alarmEmail: 'ops@example.org', removalPolicy: 'destroy' }),
      'FineractHookReceiver',
    );
    // Act
    const found = findings(withTopic);
    // Assess
    expect(found).toEqual([]);
  });

  test('the stack re-attaching retained tables, without an alarm topic, under another name is clean too', () => {
    // Prepare
    const variant = addReceiverStack(
      testApp({
        stackName: 'Hooks-Staging',
        tenantsTableName: 'Old-Tenants',
        eventsTableName: 'Old-Events',
        alarmTopic: 'false',
      }),
    );
    // Act
    const found = findings(variant);
    // Assess
    expect(found).toEqual([]);
  });

  test('every acknowledgement names an AwsSolutions rule and gives a real reason; none is needed for the runtime', () => {
    // Act
    const acks = acknowledgements(stack);
    // Assess
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id).toMatch(
        // SMG4: the data key rotates by adding a key (lib/data-key.ts), never by a rotation Lambda replacing it.
        /AwsSolutions-(APIG4|SMG4|IAM5\[Resource::arn:.*:(secretsmanager:.*:secret:.+|cloudformation:.*:stack\/FineractHookReceiver\/)\*\])$/,
      );
      expect(ack.reason.length).toBeGreaterThan(60);
    }
  });

  test('control: the checks do catch a non-compliant resource', () => {
    // Prepare
    const controlApp = testApp();
    const control = new Stack(controlApp, 'Control');
    new Queue(control, 'PlainQueue');
    applyNagChecks(controlApp);
    // Act
    const found = findings(control);
    // Assess
    expect(found).toEqual(expect.arrayContaining(['AwsSolutions-SQS4 at Control/PlainQueue/Resource']));
    expect(() => controlApp.synth()).toThrow(/AwsSolutions/);
  });
});
