import { logicalId, synthApp } from './synth';

describe('stack name by context', () => {
  test('without context the stack is FineractHookReceiver, as before', () => {
    // Act
    const { stack } = synthApp();
    // Assess
    expect(stack.stackName).toBe('FineractHookReceiver');
    expect(stack.secretPrefix).toBe('fineracthookreceiver/tenants/');
  });

  test('-c stackName names the stack, and everything that must not collide in one account follows it', () => {
    // Act
    const { stack, template } = synthApp({ stackName: 'Hooks-Staging' });
    // Assess
    expect(stack.stackName).toBe('Hooks-Staging');
    expect(stack.node.id).toBe('Hooks-Staging');
    expect(template.toJSON().Outputs.SecretPrefix.Value).toBe('hooks-staging/tenants/');
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmName).toMatch(/^Hooks-Staging-/);
    }
    const worker = template.toJSON().Resources[logicalId(stack.processing.worker.lambda)];
    expect(worker.Properties.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE).toBe('Hooks-Staging');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Hooks-Staging-SweeperRedrives',
      Namespace: 'Hooks-Staging',
    });
  });

  test('a name CloudFormation would refuse stops the synth', () => {
    // Act
    const act = () => synthApp({ stackName: 'hooks_staging' });
    // Assess
    expect(act).toThrow(/Context "stackName"/);
  });
});
