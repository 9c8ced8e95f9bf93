import * as path from 'node:path';
import { ArnFormat, type Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from './nag';

export type TableAccess = 'read' | 'readWrite';
export type QueueAccess = 'send' | 'consume';
export type SecretsAccess = 'read' | 'readWrite';

/** What bindTable needs: the table plus its index names, so grants name each index instead of `index/*`. */
export interface BindableTable {
  readonly tableName: string;
  readonly tableArn: string;
  readonly indexNames: readonly string[];
}

// Spelled out instead of table.grant*(): the CDK grants add `index/*` and stream actions we do not use.
const DYNAMODB_READ = [
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
];
const DYNAMODB_WRITE = ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];

const SECRETS_READ = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'];
// RestoreSecret: a tenant re-registering within the deletion window finds its secret scheduled for deletion.
const SECRETS_WRITE = [
  'secretsmanager:CreateSecret',
  'secretsmanager:DeleteSecret',
  'secretsmanager:PutSecretValue',
  'secretsmanager:RestoreSecret',
  'secretsmanager:TagResource',
  'secretsmanager:UpdateSecret',
];

export const LAMBDAS_DIR = path.join(__dirname, '..', 'lambdas');

/** Powertools service name of every function; Powertools makes it the `service` dimension of each metric. */
export const METRICS_SERVICE = 'fineract-hook-receiver';

/**
 * The custom-metric namespace: the stack name, so a staging and a production stack in one account keep their
 * metrics (and the alarms on them) apart. The default stack name keeps the historic `FineractHookReceiver`.
 */
export function metricsNamespace(scope: Construct): string {
  return Stack.of(scope).stackName;
}

export interface HookFunctionProps {
  /** Directory under `lambdas/` holding `handler.ts`, which exports `handler`. */
  readonly entryDir: string;
  readonly description: string;
  readonly timeout: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  readonly logRetention: RetentionDays;
  /** Applied to the log group, like the stack's tables. */
  readonly removalPolicy: RemovalPolicy;
  readonly logLevel: string;
  readonly reservedConcurrentExecutions?: number;
  readonly environment?: Record<string, string>;
}

/**
 * A Node.js function with the house defaults (Node 24 on arm64, minified CJS bundle with the SDK left to the
 * runtime, its own log group) and bind helpers that grant access and set the matching env var in one call, so a
 * function never holds a permission without the name that goes with it.
 */
export class HookFunction extends Construct {
  readonly lambda: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly role: Role;
  private readonly env = new Map<string, string>();

  constructor(scope: Construct, id: string, props: HookFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    // Own role instead of AWSLambdaBasicExecutionRole: the log group is known, so it can write there and nowhere else.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${props.entryDir} function`,
    });
    this.logGroup.grantWrite(this.role);

    this.lambda = new NodejsFunction(this, 'Function', {
      entry: path.join(LAMBDAS_DIR, props.entryDir, 'handler.ts'),
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      bundling: {
        target: 'node24',
        format: OutputFormat.CJS,
        minify: true,
        sourceMap: false,
        // The Node 24 runtime ships SDK v3; bundling it would add megabytes and cold-start time.
        externalModules: ['@aws-sdk/*'],
      },
    });

    this.setEnv('POWERTOOLS_SERVICE_NAME', METRICS_SERVICE);
    this.setEnv('POWERTOOLS_METRICS_NAMESPACE', metricsNamespace(this));
    this.setEnv('LOG_LEVEL', props.logLevel);
    this.setEnv('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true');
    for (const [name, value] of Object.entries(props.environment ?? {})) this.setEnv(name, value);
  }

  /** Sets an environment variable; refuses to silently replace a different value set by another binding. */
  setEnv(name: string, value: string): this {
    const existing = this.env.get(name);
    if (existing !== undefined && existing !== value) {
      throw new Error(`${this.node.path}: environment variable ${name} is already bound to a different value`);
    }
    this.env.set(name, value);
    this.lambda.addEnvironment(name, value);
    return this;
  }

  bindTable(envName: string, table: BindableTable, access: TableAccess): this {
    const actions = access === 'read' ? DYNAMODB_READ : [...DYNAMODB_READ, ...DYNAMODB_WRITE];
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions,
        resources: [table.tableArn, ...table.indexNames.map((index) => `${table.tableArn}/index/${index}`)],
      }),
    );
    return this.setEnv(envName, table.tableName);
  }

  /** Consume includes ChangeMessageVisibility, which the worker uses for backoff. */
  bindQueue(envName: string, queue: IQueue, access: QueueAccess): this {
    if (access === 'send') queue.grantSendMessages(this.lambda);
    else queue.grantConsumeMessages(this.lambda);
    return this.setEnv(envName, queue.queueUrl);
  }

  /** Grants on every secret whose name starts with the prefix and sets SECRET_PREFIX. */
  bindSecretsPrefix(prefix: string, access: SecretsAccess): this {
    const arn = secretsPrefixArn(this, prefix);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: access === 'read' ? SECRETS_READ : [...SECRETS_READ, ...SECRETS_WRITE],
        resources: [arn],
      }),
    );
    acknowledgeWildcardResource(
      this.role,
      arn,
      'Tenant secrets are created at registration time, one per tenant, so their names are not known at deploy ' +
        "time; access is limited to the secrets under this stack's prefix (the trailing * also covers the random " +
        'suffix Secrets Manager appends to ARNs).',
    );
    return this.setEnv('SECRET_PREFIX', prefix);
  }
}

/** `arn:…:secret:<prefix>*`: every secret under the prefix, including the random 6-character ARN suffix. */
export function secretsPrefixArn(scope: Construct, prefix: string): string {
  return Stack.of(scope).formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${prefix}*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}
