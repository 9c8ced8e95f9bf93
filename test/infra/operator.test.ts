import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import type { FineractHookReceiverStack } from '../../lib/fineract-hook-receiver-stack';
import { operatorPermissionsTable } from '../../lib/operator';
import { actionsOf, logicalId, resourcesOf, type Statement, synthStack } from './synth';

let stack: FineractHookReceiverStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthStack());
});

const json = (value: unknown) => JSON.stringify(value);
const getAtt = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

describe('operator policy', () => {
  test('one managed policy, attached to nobody, holding exactly what the CLI commands call', () => {
    // Prepare
    const events = getAtt(logicalId(stack.storage.events));
    const expected: Record<string, string[]> = {
      [json({
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':cloudformation:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':stack/FineractHookReceiver/*',
          ],
        ],
      })]: ['cloudformation:DescribeStacks'],
      [json(getAtt(logicalId(stack.storage.tenants)))]: [
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:Scan',
        'dynamodb:UpdateItem',
      ],
      // BatchGetItem and byPhone: `events find`.
      [json(events)]: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      [json({ 'Fn::Join': ['', [events, '/index/byTenantTimeV2']] })]: ['dynamodb:Query'],
      [json({ 'Fn::Join': ['', [events, '/index/byPhone']] })]: ['dynamodb:Query'],
      // The data key: event bodies and message recipients are sealed at rest.
      [json({ Ref: logicalId(stack.dataKey.secret) })]: ['secretsmanager:GetSecretValue'],
      // The redrive names the work queue as destination: it reads its ARN and the move task sends to it.
      [json(getAtt(logicalId(stack.processing.queue)))]: ['sqs:GetQueueAttributes', 'sqs:SendMessage'],
      // `targets add|remove|rotate-secret|test`: forwarding targets' signing secrets, under the stack's prefix.
      [json({
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':secretsmanager:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':secret:fineracthookreceiver/tenants/*',
          ],
        ],
      })]: [
        'secretsmanager:CreateSecret',
        'secretsmanager:DeleteSecret',
        'secretsmanager:GetSecretValue',
        'secretsmanager:PutSecretValue',
      ],
      [json(getAtt(logicalId(stack.processing.deadLetterQueue)))]: [
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:ReceiveMessage',
        'sqs:StartMessageMoveTask',
      ],
    };
    // `logs tail` reads every function's log group, and nothing else.
    const functions = { ...stack.api.functions, worker: stack.processing.worker, sweeper: stack.processing.sweeper };
    for (const fn of Object.values(functions)) {
      expected[json(getAtt(logicalId(fn.logGroup)))] = ['logs:FilterLogEvents'];
    }
    // Act
    const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
    const granted: Record<string, string[]> = {};
    for (const statement of policies[0]!.Properties.PolicyDocument.Statement as Statement[]) {
      expect(statement.Effect).toBe('Allow');
      for (const resource of resourcesOf(statement)) {
        granted[json(resource)] = [...(granted[json(resource)] ?? []), ...actionsOf(statement)].sort();
      }
    }
    // Assess
    expect(policies).toHaveLength(1);
    expect(policies[0]!.Properties).not.toHaveProperty('Roles');
    expect(policies[0]!.Properties).not.toHaveProperty('Users');
    expect(granted).toEqual(expected);
    expect(template.toJSON().Outputs.OperatorPolicyArn.Value).toEqual({ Ref: logicalId(stack.operator.policy) });
  });

  test('the README lists every command with the actions the policy is built from', () => {
    // Prepare
    const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    // Act
    const table = operatorPermissionsTable();
    // Assess
    expect(table.split('\n').length).toBeGreaterThan(10);
    expect(readme).toContain(table);
  });
});
