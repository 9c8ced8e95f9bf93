import * as path from 'node:path';
import { ArnFormat, type Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ApplicationLogLevel, Architecture, LoggingFormat, Runtime, SystemLogLevel } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BUNDLE_TARGET, bundlingFor, sideBundleCommand, sideBundlesFor } from './bundling';
import { type PortUse, queueActions, secretActions, type TableUse, tableUses, unique } from './access';
import { acknowledgeWildcardResource } from './nag';

/** What bindTable needs: the table plus its index names, so grants name each index instead of `index/*`. */
export interface BindableTable {
  readonly tableName: string;
  readonly tableArn: string;
  readonly indexNames: readonly string[];
}

/** The resources a function's port uses (lib/access.ts) are granted on. */
export interface PortTargets {
  readonly tenants: BindableTable;
  readonly events: BindableTable;
  readonly queue: IQueue;
  readonly secretPrefix: string;
}

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
  /** Build the web console into the function's asset (`console/` beside its code): the admin function only. */
  readonly withConsole?: boolean;
}

const ROOT_DIR = path.join(__dirname, '..');
/** The esbuild NodejsFunction bundles with (local bundling), for the side bundles. */
const ESBUILD = path.join(ROOT_DIR, 'node_modules', '.bin', 'esbuild');

/**
 * Lambda's application log level for a Powertools level (config.ts allows Powertools' names). Lambda has no
 * CRITICAL or SILENT: FATAL is its closest, and Powertools reads FATAL back as CRITICAL.
 */
export function applicationLogLevel(powertoolsLevel: string): ApplicationLogLevel {
  const level = powertoolsLevel.toUpperCase();
  if (level === 'CRITICAL' || level === 'SILENT') return ApplicationLogLevel.FATAL;
  const known = Object.values(ApplicationLogLevel) as string[];
  if (!known.includes(level)) throw new Error(`No Lambda application log level for "${powertoolsLevel}"`);
  return level as ApplicationLogLevel;
}

/**
 * Builds the console into the bundle after esbuild: the same script and sources as `npm start`'s build, so AWS and
 * the local server serve the same bytes, and a clean clone's synth needs no prebuilt files.
 */
function consoleBuildCommands(outputDir: string): string[] {
  const tsx = path.join(ROOT_DIR, 'node_modules', '.bin', 'tsx');
  const script = path.join(ROOT_DIR, 'lambdas', 'console', 'build.ts');
  return [`"${tsx}" "${script}" "${path.join(outputDir, 'console')}"`];
}

/**
 * A Node.js function with the house defaults (Node 24 on arm64, minified CJS bundle carrying its own SDK clients
 * (lib/bundling.ts), its own log group) and bind helpers that grant access and set the matching env var in one call, so a
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
      // JSON lets Lambda filter by level. Its own lines at WARN: no START/END/REPORT per invocation (~600 bytes,
      // as much as the application's lines; durations and memory stay in the Lambda metrics), timeouts and crashes
      // still logged. Application lines at LOG_LEVEL: Lambda sets AWS_LAMBDA_LOG_LEVEL from it, which Powertools
      // then obeys, and lambdas/adapters/observability.ts keeps the metric lines (no level of their own) above it.
      loggingFormat: LoggingFormat.JSON,
      systemLogLevelV2: SystemLogLevel.WARN,
      applicationLogLevelV2: applicationLogLevel(props.logLevel),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      bundling: {
        target: BUNDLE_TARGET,
        format: OutputFormat.CJS,
        minify: true,
        sourceMap: false,
        // Each function's own tree-shaken SDK clients, the rest left to the runtime's copy (lib/bundling.ts).
        ...bundlingFor(props.entryDir),
        ...(props.withConsole || sideBundlesFor(props.entryDir).length > 0
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) => [
                  // Files the bundle requires from beside itself on first use (lib/bundling.ts SIDE_BUNDLES).
                  ...sideBundlesFor(props.entryDir).map((side) =>
                    sideBundleCommand(ESBUILD, inputDir, side, outputDir),
                  ),
                  ...(props.withConsole ? consoleBuildCommands(outputDir) : []),
                ],
              },
            }
          : {}),
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

  /**
   * Grants what the port methods in `use` send (lib/access.ts) and sets the matching names: TENANTS_TABLE,
   * EVENTS_TABLE, QUEUE_URL, SECRET_PREFIX only for what the function uses.
   */
  bindPorts(use: PortUse, targets: PortTargets): this {
    const tables = tableUses(use);
    if (tables.tenants.length > 0) this.bindTable('TENANTS_TABLE', targets.tenants, tables.tenants);
    if (tables.events.length > 0) this.bindTable('EVENTS_TABLE', targets.events, tables.events);
    const queue = queueActions(use);
    if (queue.length > 0) this.bindQueue('QUEUE_URL', targets.queue, queue);
    const secrets = secretActions(use);
    if (secrets.length > 0) this.bindSecretsPrefix(targets.secretPrefix, secrets);
    return this;
  }

  /** Reads the data key (seals numbers and bodies at rest) and sets DATA_KEY_SECRET_ARN. */
  bindDataKey(secretArn: string): this {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secretArn] }),
    );
    return this.setEnv('DATA_KEY_SECRET_ARN', secretArn);
  }

  /** Item actions on the table ARN, index queries on each index's own ARN; never `index/*`. */
  bindTable(envName: string, table: BindableTable, uses: readonly TableUse[]): this {
    for (const statement of tableStatements(table, uses)) this.role.addToPrincipalPolicy(statement);
    return this.setEnv(envName, table.tableName);
  }

  /** `consume`: what an SQS event source needs (receive, delete, change visibility, attributes). */
  bindQueue(envName: string, queue: IQueue, access: 'consume' | readonly string[]): this {
    if (access === 'consume') queue.grantConsumeMessages(this.lambda);
    else this.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...access], resources: [queue.queueArn] }));
    return this.setEnv(envName, queue.queueUrl);
  }

  /** Grants the actions on every secret whose name starts with the prefix and sets SECRET_PREFIX. */
  bindSecretsPrefix(prefix: string, actions: readonly string[]): this {
    const arn = secretsPrefixArn(this, prefix);
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...actions], resources: [arn] }));
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

/** The statements granting table uses: one on the table for item actions, one per queried index. */
export function tableStatements(table: BindableTable, uses: readonly TableUse[]): PolicyStatement[] {
  const byResource = new Map<string, Set<string>>();
  for (const use of uses) {
    if (use.index !== undefined && !table.indexNames.includes(use.index)) {
      throw new Error(`Table ${table.tableName} has no index "${use.index}" (it has: ${table.indexNames.join(', ')})`);
    }
    const resource = use.index === undefined ? table.tableArn : `${table.tableArn}/index/${use.index}`;
    const actions = byResource.get(resource) ?? new Set<string>();
    for (const action of use.actions) actions.add(`dynamodb:${action}`);
    byResource.set(resource, actions);
  }
  return [...byResource].map(
    ([resource, actions]) => new PolicyStatement({ actions: unique([...actions]), resources: [resource] }),
  );
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
