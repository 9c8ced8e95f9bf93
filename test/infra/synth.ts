import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { FineractHookReceiverStack } from '../../lib/fineract-hook-receiver-stack';
import { addReceiverStack } from '../../lib/receiver-app';

export interface Synthesized {
  app: App;
  stack: FineractHookReceiverStack;
  template: Template;
}

/**
 * An app for Template assertions: no bundling (esbuild per function) and no built-in CloudFormation schema
 * validation (~18 s per synth here); the real `cdk synth` in CI keeps both.
 */
export function testApp(context: Record<string, unknown> = {}): App {
  return new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [], ...context } });
}

/** The stack as bin/app.ts builds it, in a test app. */
export function synthStack(context: Record<string, unknown> = {}): Synthesized {
  const app = testApp(context);
  const stack = new FineractHookReceiverStack(app, 'FineractHookReceiver');
  return { app, stack, template: Template.fromStack(stack) };
}

/** Logical id of an L2's CloudFormation resource, as it appears in the template. */
export function logicalId(construct: IConstruct): string {
  const child = construct.node.defaultChild as CfnElement | undefined;
  if (!child) throw new Error(`${construct.node.path} has no default child`);
  return Stack.of(construct).getLogicalId(child);
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

export function asArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** Statements of the policies attached to a role (by the role's logical id). */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) =>
      asArray(policy.Properties.Roles as unknown[]).some(
        (role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId }),
      ),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

export function actionsOf(statement: Statement): string[] {
  return asArray(statement.Action);
}

export function resourcesOf(statement: Statement): unknown[] {
  return asArray(statement.Resource);
}

/** The stack exactly as bin/app.ts builds it (stack name from context, cdk-nag registered), in a test app. */
export function synthApp(context: Record<string, unknown> = {}): Synthesized {
  const app = testApp(context);
  const stack = addReceiverStack(app);
  return { app, stack, template: Template.fromStack(stack) };
}
