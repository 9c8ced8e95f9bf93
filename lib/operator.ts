import { ArnFormat, Stack } from 'aws-cdk-lib';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type PortUse, queueActions, secretActions, tableUses, unique } from './access';
import { type BindableTable, secretsPrefixArn, tableStatements } from './hook-function';
import { acknowledgeWildcardResource } from './nag';

/** What `dlq redrive` needs: a message move task reads and deletes on the DLQ, and sends to the work queue. */
export const DLQ_REDRIVE_ACTIONS = [
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:ReceiveMessage',
  'sqs:StartMessageMoveTask',
] as const;

export interface OperatorCommand {
  /** As typed after `npm run cli --`. */
  readonly command: string;
  readonly uses: PortUse;
  /** Starts a DLQ message move task towards the work queue. */
  readonly redrive?: boolean;
  /** Reads the functions' log groups (CloudWatch Logs FilterLogEvents). */
  readonly readsLogs?: boolean;
}

export const LOG_READ_ACTIONS = ['logs:FilterLogEvents'] as const;

/**
 * What each operator CLI command calls (bin/cli.ts through lambdas/adapters/cli-runtime.ts). Every command against
 * AWS with `--stack` first reads the stack outputs (cloudformation:DescribeStacks).
 */
export const CLI_COMMANDS: readonly OperatorCommand[] = [
  // Enrollment, then a first API key (older keys, if any, expire after the grace period).
  {
    command: 'tenants create',
    uses: { tenants: ['putEnrollment', 'putApiKey', 'listApiKeys', 'expireApiKey', 'deleteApiKey'] },
  },
  { command: 'tenants enroll', uses: { tenants: ['putEnrollment'] } },
  { command: 'tenants unenroll', uses: { tenants: ['deleteEnrollment'] } },
  { command: 'tenants list', uses: { tenants: ['listTenants'] } },
  { command: 'tenants show', uses: { tenants: ['getTenant', 'listApiKeys', 'getEnrollment'] } },
  { command: 'tenants set', uses: { tenants: ['getTenant', 'putTenant', 'getEnrollment', 'putEnrollment'] } },
  {
    command: 'tenants rotate-key',
    uses: { tenants: ['getTenant', 'putApiKey', 'listApiKeys', 'expireApiKey', 'deleteApiKey'] },
  },
  { command: 'templates list', uses: { tenants: ['getTemplates'] } },
  { command: 'templates set', uses: { tenants: ['putTemplate'] } },
  { command: 'templates unset', uses: { tenants: ['deleteTemplate'] } },
  // --event reads the stored event to render with.
  { command: 'templates preview', uses: { tenants: ['getTemplates'], events: ['get'] } },
  { command: 'events list', uses: { events: ['listByTenant'] } },
  { command: 'events show', uses: { events: ['get'], messages: ['listByEvent'], deliveries: ['listByEvent'] } },
  {
    command: 'events find',
    uses: { search: ['findByIds', 'findByPhoneHash'], messages: ['listByEvent'], deliveries: ['listByEvent'] },
  },
  { command: 'events trace', uses: { events: ['get'], messages: ['listByEvent'], deliveries: ['listByEvent'] } },
  {
    command: 'targets add',
    uses: { targets: ['putTarget'], targetSecrets: ['putTargetSecrets'] },
  },
  { command: 'targets list', uses: { targets: ['listTargets'] } },
  {
    command: 'targets remove',
    uses: { targets: ['getTarget', 'deleteTarget'], targetSecrets: ['deleteTargetSecrets'] },
  },
  {
    command: 'targets rotate-secret',
    uses: { targets: ['getTarget'], targetSecrets: ['getTargetSecrets', 'putTargetSecrets'] },
  },
  // An EventBridge target's test needs events:PutEvents, which the operator policy does not grant: use the API.
  { command: 'targets test', uses: { targets: ['getTarget'], targetSecrets: ['getTargetSecrets'] } },
  // --dry-run only reads (and renders with the tenant's templates); otherwise events are reset and enqueued.
  {
    command: 'events resend / replay',
    uses: {
      tenants: ['getTemplates'],
      events: ['get', 'listByTenant', 'update'],
      messages: ['listByEvent', 'transition'],
      deliveries: ['listByEvent', 'transition'],
      queue: ['enqueue'],
    },
  },
  { command: 'dlq redrive', uses: {}, redrive: true },
  // Issues the Web hook's key, then polls the tenant for the SMS Bridge registration.
  {
    command: 'fineract connect',
    uses: { tenants: ['getTenant', 'putApiKey', 'listApiKeys', 'expireApiKey'] },
  },
  { command: 'logs tail', uses: {}, readsLogs: true },
  // A one-time sign-in link for the web console (only its hash is stored).
  { command: 'console link', uses: { sessions: ['putLink'] } },
];

export interface OperatorTargets {
  readonly tenants: BindableTable;
  readonly events: BindableTable;
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly secretPrefix: string;
  /** The data key: every command reading events or messages opens what is sealed in them. */
  readonly dataKeySecretArn?: string;
  /** The functions' log groups, which `logs tail` reads. */
  readonly logGroups?: readonly ILogGroup[];
}

/** The statements one set of commands needs, on this stack's resources. */
export function operatorStatements(
  scope: Construct,
  commands: readonly OperatorCommand[],
  targets: OperatorTargets,
): PolicyStatement[] {
  const merged = {
    tenants: commands.flatMap((c) => tableUses(c.uses).tenants),
    events: commands.flatMap((c) => tableUses(c.uses).events),
    secrets: unique(commands.flatMap((c) => secretActions(c.uses))),
    queue: unique(commands.flatMap((c) => queueActions(c.uses))),
  };
  const statements = [
    new PolicyStatement({ actions: ['cloudformation:DescribeStacks'], resources: [stackArn(scope)] }),
    ...tableStatements(targets.tenants, merged.tenants),
    ...tableStatements(targets.events, merged.events),
  ];
  // The move task sends to the work queue, and the CLI reads the work queue's ARN to name it as the destination.
  const queueSends = commands.some((c) => c.redrive)
    ? unique([...merged.queue, 'sqs:GetQueueAttributes', 'sqs:SendMessage'])
    : merged.queue;
  if (queueSends.length > 0) {
    statements.push(new PolicyStatement({ actions: queueSends, resources: [targets.queue.queueArn] }));
  }
  if (commands.some((c) => c.redrive)) {
    statements.push(
      new PolicyStatement({ actions: [...DLQ_REDRIVE_ACTIONS], resources: [targets.deadLetterQueue.queueArn] }),
    );
  }
  if (commands.some((c) => c.readsLogs) && targets.logGroups?.length) {
    statements.push(
      new PolicyStatement({ actions: [...LOG_READ_ACTIONS], resources: targets.logGroups.map((g) => g.logGroupArn) }),
    );
  }
  if (targets.dataKeySecretArn && merged.events.length > 0) {
    statements.push(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [targets.dataKeySecretArn] }),
    );
  }
  if (merged.secrets.length > 0) {
    statements.push(
      new PolicyStatement({ actions: merged.secrets, resources: [secretsPrefixArn(scope, targets.secretPrefix)] }),
    );
  }
  return statements;
}

/** `arn:…:cloudformation:<region>:<account>:stack/<name>/*` (the trailing id changes with every re-creation). */
function stackArn(scope: Construct): string {
  const stack = Stack.of(scope);
  return stack.formatArn({
    service: 'cloudformation',
    resource: 'stack',
    resourceName: `${stack.stackName}/*`,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

/** One managed policy with exactly what the operator CLI needs against this stack: an admin attaches just this. */
export class OperatorPolicy extends Construct {
  readonly policy: ManagedPolicy;

  constructor(scope: Construct, id: string, targets: OperatorTargets) {
    super(scope, id);
    this.policy = new ManagedPolicy(this, 'Policy', {
      description: `Operator CLI (npm run cli -- --stack ${Stack.of(this).stackName} …): tenants, templates, events, DLQ, logs`,
      statements: operatorStatements(this, CLI_COMMANDS, targets),
    });
    acknowledgeWildcardResource(
      this.policy,
      secretsPrefixArn(this, targets.secretPrefix),
      'Forwarding targets get their signing secret when an operator adds one (`targets add`), so the names are not ' +
        "known at deploy time; access is limited to the secrets under this stack's prefix.",
    );
    acknowledgeWildcardResource(
      this.policy,
      stackArn(this),
      'The stack id at the end of a CloudFormation stack ARN changes whenever the stack is re-created; the name is ' +
        'fixed, so the CLI may describe this stack (to read its outputs) under any id, and no other stack.',
    );
  }
}

/** The README's operator table: command, then the IAM actions it needs (besides cloudformation:DescribeStacks). */
export function operatorPermissionsTable(): string {
  const rows = CLI_COMMANDS.map((command) => {
    const tables = tableUses(command.uses);
    const cells = [
      cell(
        'tenants table',
        tables.tenants.flatMap((use) => use.actions),
      ),
      cell(
        'events table',
        tables.events.filter((use) => use.index === undefined).flatMap((use) => use.actions),
      ),
      ...unique(tables.events.flatMap((use) => (use.index ? [use.index] : []))).map((index) =>
        cell(`events index ${index}`, ['Query']),
      ),
      cell('work queue', [
        ...queueActions(command.uses).map((a) => a.replace('sqs:', '')),
        ...(command.redrive ? ['GetQueueAttributes', 'SendMessage'] : []),
      ]),
      cell('DLQ', command.redrive ? DLQ_REDRIVE_ACTIONS.map((a) => a.replace('sqs:', '')) : []),
      cell('function log groups', command.readsLogs ? LOG_READ_ACTIONS.map((a) => a.replace('logs:', '')) : []),
      cell(
        'secrets under the prefix',
        secretActions(command.uses).map((a) => a.replace('secretsmanager:', '')),
      ),
    ].filter((text) => text !== '');
    return `| \`${command.command}\` | ${cells.join('; ')} |`;
  });
  const header =
    '| Command | IAM actions (`dynamodb:` on the tables, `sqs:` on the queues, `secretsmanager:` on the secrets, `logs:` on the log groups) |';
  return [header, '|---|---|', ...rows].join('\n');
}

function cell(resource: string, actions: readonly string[]): string {
  const list = unique(actions);
  return list.length === 0 ? '' : `${resource}: ${list.join(', ')}`;
}
