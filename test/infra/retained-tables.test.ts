import { actionsOf, logicalId, resourcesOf, statementsOfRole, synthStack } from './synth';

const arnOf = (name: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':dynamodb:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:table/${name}`,
    ],
  ],
});
const json = (value: unknown) => JSON.stringify(value);

describe('re-attaching tables retained by a deleted stack', () => {
  test('-c tenantsTableName / eventsTableName use the old tables by name and create none', () => {
    // Act
    const { stack, template } = synthStack({ tenantsTableName: 'Old-Tenants', eventsTableName: 'Old-Events' });
    const resources = template.toJSON().Resources;
    const env = (fn: { lambda: Parameters<typeof logicalId>[0] }) =>
      resources[logicalId(fn.lambda)].Properties.Environment.Variables;
    const ingestResources = statementsOfRole(template, logicalId(stack.api.ingest.role))
      .filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')))
      .flatMap(resourcesOf)
      .map(json);
    const sweeperResources = statementsOfRole(template, logicalId(stack.processing.sweeper.role))
      .filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')))
      .flatMap(resourcesOf)
      .map(json);
    // Assess
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    expect(env(stack.api.ingest)).toMatchObject({ TENANTS_TABLE: 'Old-Tenants', EVENTS_TABLE: 'Old-Events' });
    expect(template.toJSON().Outputs.TenantsTableName.Value).toBe('Old-Tenants');
    expect(template.toJSON().Outputs.EventsTableName.Value).toBe('Old-Events');
    expect(ingestResources.sort()).toEqual([json(arnOf('Old-Events')), json(arnOf('Old-Tenants'))].sort());
    expect(sweeperResources).toContain(json(arnOf('Old-Events/index/byDueV2')));
  });

  test('one table can be re-attached while the other is created', () => {
    // Act
    const { template } = synthStack({ eventsTableName: 'Old-Events' });
    // Assess
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    expect(template.toJSON().Outputs.EventsTableName.Value).toBe('Old-Events');
  });

  test('-c dataKeySecretArn re-attaches the retained data key: no new secret, every function reads that one', () => {
    // Prepare
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:FineractHookReceiverDataKey-AbC123';

    // Act
    const { stack, template } = synthStack({ eventsTableName: 'Old-Events', dataKeySecretArn: arn });
    const resources = template.toJSON().Resources;
    const env = (fn: { lambda: Parameters<typeof logicalId>[0] }) =>
      resources[logicalId(fn.lambda)].Properties.Environment.Variables;

    // Assess
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(env(stack.api.ingest).DATA_KEY_SECRET_ARN).toBe(arn);
    expect(env(stack.processing.worker).DATA_KEY_SECRET_ARN).toBe(arn);
    expect(template.toJSON().Outputs.DataKeySecretArn.Value).toBe(arn);
  });

  test('a data key ARN without its suffix is refused at synth', () => {
    // Act
    const synth = () => synthStack({ dataKeySecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x' });

    // Assess
    expect(synth).toThrow(/dataKeySecretArn/);
  });
});
