import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readConfig } from '../../lib/config';
import { actionsOf, logicalId, resourcesOf, statementsOfRole, synthStack } from './synth';

const PHONE = 'arn:aws:sms-voice:eu-west-1:123456789012:phone-number/phone-0123456789abcdef0123456789abcdef';
const POOL_ID = 'pool-fedcba9876543210fedcba9876543210';
const CONTEXT = { smsOriginationIdentities: `${PHONE},${POOL_ID}` };

function smsVoiceStatements(context: Record<string, string>, fn: 'worker' | 'register' | 'twilioStatus') {
  const { stack, template } = synthStack(context);
  const role = fn === 'worker' ? stack.processing.worker.role : stack.api.functions[fn].role;
  const statements = statementsOfRole(template, logicalId(role));
  return {
    stack,
    template,
    statements: statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sms-voice:'))),
  };
}

describe('AWS End User Messaging SMS in the stack', () => {
  test('the worker may SendTextMessage only from the identities named by context and through the configuration set', () => {
    // Act
    const { statements } = smsVoiceStatements(CONTEXT, 'worker');

    // Assess
    expect(statements).toHaveLength(1);
    expect(actionsOf(statements[0]!)).toEqual(['sms-voice:SendTextMessage']);
    const resources = JSON.stringify(resourcesOf(statements[0]!));
    expect(resources).toContain(PHONE);
    expect(resources).toContain(`pool/${POOL_ID}`);
    expect(resources).toContain('configuration-set/');
    expect(resources).not.toContain('"*"');
  });

  test('registration may describe the same identities, and nothing else of the SMS service', () => {
    // Act
    const { statements } = smsVoiceStatements(CONTEXT, 'register');

    // Assess
    expect(statements).toHaveLength(1);
    expect([...actionsOf(statements[0]!)].sort()).toEqual([
      'sms-voice:DescribePhoneNumbers',
      'sms-voice:DescribePools',
      'sms-voice:DescribeSenderIds',
    ]);
    expect(resourcesOf(statements[0]!)).toHaveLength(2);
  });

  test('a configuration set sends delivery events to an encrypted SNS topic the status function subscribes to', () => {
    // Act
    const { stack, template } = synthStack(CONTEXT);

    // Assess
    const sets = Object.values(template.findResources('AWS::SMSVOICE::ConfigurationSet'));
    expect(sets).toHaveLength(1);
    const destination = sets[0]!.Properties.EventDestinations[0];
    expect(destination.MatchingEventTypes).toEqual(expect.arrayContaining(['TEXT_DELIVERED', 'TEXT_SUCCESSFUL']));
    expect(destination.SnsDestination.TopicArn).toEqual({ Ref: logicalId(stack.awsSms!.topic) });
    const topic = template.toJSON().Resources[logicalId(stack.awsSms!.topic)];
    expect(topic.Properties.KmsMasterKeyId).toBeDefined();
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: logicalId(stack.awsSms!.topic) },
      Endpoint: { 'Fn::GetAtt': [logicalId(stack.api.twilioStatus.lambda), 'Arn'] },
    });
  });

  test('no identity named: no SMS grant, no configuration set, no topic', () => {
    // Act
    const worker = smsVoiceStatements({}, 'worker');
    const register = smsVoiceStatements({}, 'register');

    // Assess
    expect(worker.statements).toEqual([]);
    expect(register.statements).toEqual([]);
    expect(worker.template.findResources('AWS::SMSVOICE::ConfigurationSet')).toEqual({});
    expect(worker.stack.awsSms).toBeUndefined();
  });

  test('cdk-nag stays clean with the AWS SMS resources', () => {
    // Prepare
    const { stack } = synthStack(CONTEXT);

    // Act
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
    const acknowledged = new Set(
      stack.node
        .findAll()
        .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
        .flatMap((m) => Object.keys(m.data as Record<string, string>)),
    );

    // Assess
    const found = report.violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`),
    );
    expect(found).toEqual([]);
    expect(acknowledged.size).toBeGreaterThan(0);
  });

  test('an identity IAM cannot name (an E.164 number) stops the synth with a message', () => {
    // Act
    const read = () => readConfig((key) => (key === 'smsOriginationIdentities' ? '+15005550006' : undefined));

    // Assess
    expect(read).toThrow(/smsOriginationIdentities/);
  });
});
