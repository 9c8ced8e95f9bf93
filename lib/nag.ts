import { type App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag 3 is a policy-validation plugin, not an Aspect: it runs after synthesis and any unacknowledged finding
 * (warning or error) fails `cdk synth`. Acknowledgements are CDK's own `Validations.of(x).acknowledge`.
 */
export function applyNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
}

/** Acknowledge a whole rule on a construct and everything below it. */
export function acknowledgeRule(scope: IConstruct, ruleId: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-${ruleId}`, reason });
}

/**
 * Acknowledge one IAM5 finding for one wildcard resource. cdk-nag 3 has no blanket IAM5 acknowledgement, and a
 * finding is named after the resource as written in the template, so it is computed from the same expression.
 */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  const flat = flattenReference(Stack.of(scope).resolve(resource));
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
}

/** The spelling cdk-nag uses for intrinsic functions inside finding ids (`<Logical.Arn>`, `<AWS::Region>`). */
export function flattenReference(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const obj = node as Record<string, unknown>;
    if (Array.isArray(obj['Fn::Join'])) {
      const [delimiter, items] = obj['Fn::Join'] as [string, unknown[]];
      return items.map(flattenReference).join(delimiter);
    }
    if (obj['Fn::Sub'] !== undefined) return flattenReference(obj['Fn::Sub']);
    if (Array.isArray(obj['Fn::GetAtt'])) {
      const [resource, attribute] = obj['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenReference(resource)}.${flattenReference(attribute)}>`;
    }
    if (obj['Fn::ImportValue'] !== undefined) return flattenReference(obj['Fn::ImportValue']);
    if (obj.Ref !== undefined) return `<${flattenReference(obj.Ref)}>`;
  }
  return JSON.stringify(node);
}
