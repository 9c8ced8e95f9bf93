import { Match, type Template } from 'aws-cdk-lib/assertions';
import { ROUTES } from '../../lambdas/core/routes';
import { apiGatewayRoutes, isRoutablePath } from '../../lib/api';
import type { FineractHookReceiverStack } from '../../lib/fineract-hook-receiver-stack';
import type { HookFunction } from '../../lib/hook-function';
import { SWEEPER_REDRIVE_METRIC } from '../../lib/observability';
import { actionsOf, logicalId, resourcesOf, type Statement, statementsOfRole, synthStack } from './synth';

let stack: FineractHookReceiverStack;
let template: Template;
let fns: Record<string, HookFunction>;

beforeAll(() => {
  ({ stack, template } = synthStack());
  fns = {
    ingest: stack.api.ingest,
    register: stack.api.register,
    admin: stack.api.admin,
    twilioStatus: stack.api.twilioStatus,
    worker: stack.processing.worker,
    sweeper: stack.processing.sweeper,
  };
});

const getAtt = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const json = (value: unknown) => JSON.stringify(value);

function envOf(fn: HookFunction): Record<string, unknown> {
  const resource = template.toJSON().Resources[logicalId(fn.lambda)];
  return resource.Properties.Environment.Variables;
}

/** The function a route's integration invokes, as the function's logical id. */
function functionBehindRoute(routeKey: string): string {
  const routes = Object.values(
    template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: routeKey } }),
  );
  expect(routes).toHaveLength(1);
  const target = routes[0]!.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
  const integrationId = target['Fn::Join'][1][1].Ref;
  const integration = template.toJSON().Resources[integrationId];
  return integration.Properties.IntegrationUri['Fn::GetAtt'][0];
}

describe('API routes', () => {
  test('every route of the shared route table that API Gateway accepts is a route to its function', () => {
    // Prepare
    const expected = apiGatewayRoutes();
    // Act
    const targets = expected.map((route) => ({
      key: `${route.method} ${route.path}`,
      fn: functionBehindRoute(`${route.method} ${route.path}`),
    }));
    // Assess
    expect(expected.length).toBeGreaterThan(10);
    for (const [i, route] of expected.entries()) {
      expect(targets[i]).toEqual({ key: `${route.method} ${route.path}`, fn: logicalId(fns[route.fn]!.lambda) });
    }
  });

  test('$default goes to ingest, and nothing else exists beside the table routes', () => {
    // Act
    const routes = template.findResources('AWS::ApiGatewayV2::Route');
    // Assess
    expect(functionBehindRoute('$default')).toBe(logicalId(fns.ingest!.lambda));
    expect(Object.keys(routes)).toHaveLength(apiGatewayRoutes().length + 1);
  });

  test('only trailing-slash variants are skipped, and each has a slash-less twin with the same method and function', () => {
    // Act
    const skipped = ROUTES.filter((route) => !isRoutablePath(route.path));
    // Assess
    expect(skipped.map((route) => route.path)).toEqual(expect.arrayContaining(['/modules/sms/', '/hooks/{apiKey}/']));
    for (const route of skipped) {
      expect(route.path.endsWith('/')).toBe(true);
      const twin = ROUTES.find((r) => r.method === route.method && r.path === route.path.slice(0, -1));
      expect(twin?.fn).toBe(route.fn);
    }
  });

  test('no route has an authorizer and the $default stage auto-deploys with throttling', () => {
    // Assess
    for (const route of Object.values(template.findResources('AWS::ApiGatewayV2::Route'))) {
      expect(route.Properties.AuthorizationType).toBe('NONE');
    }
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 },
    });
  });

  test('access logs never contain the request path or query (Web hook API keys travel in the path)', () => {
    // Act
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0]!;
    const format = stage.Properties.AccessLogSettings.Format as string;
    // Assess
    expect(stage.Properties.AccessLogSettings.DestinationArn).toEqual(getAtt(logicalId(stack.api.accessLogGroup)));
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: {
        'Fn::Join': ['', ['/aws/vendedlogs/apigateway/FineractHookReceiver/', { Ref: logicalId(stack.api.httpApi) }]],
      },
    });
    expect(format).toContain('$context.routeKey');
    expect(format).toContain('$context.requestId');
    expect(format).toContain('$context.integrationErrorMessage');
    expect(format).not.toMatch(/\$context\.(path|rawPath|resourcePath|rawQueryString|querystring|requestOverride)/i);
    expect(format).not.toMatch(/\$(request|method)\./);
  });

  test('one API-wide invoke permission per API function, not one per route', () => {
    // Act
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
      (p) => p.Properties.Principal === 'apigateway.amazonaws.com',
    );
    // Assess
    expect(permissions).toHaveLength(4);
  });
});

describe('IAM', () => {
  const tableArns = () => {
    const tenants = logicalId(stack.storage.tenants);
    const events = logicalId(stack.storage.events);
    return [
      getAtt(tenants),
      getAtt(events),
      ...stack.storage.events.indexNames.map((index) => ({ 'Fn::Join': ['', [getAtt(events), `/index/${index}`]] })),
    ].map(json);
  };

  test('ingest touches only the two tables (and their named indexes), reads tenants and cannot write them', () => {
    // Prepare
    const allowed = tableArns();
    // Act
    const statements = statementsOfRole(template, logicalId(fns.ingest!.role));
    const dynamo = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    // Assess
    expect(dynamo.length).toBeGreaterThan(0);
    for (const statement of dynamo) {
      expect(actionsOf(statement).every((a) => a.startsWith('dynamodb:') && !a.includes('*'))).toBe(true);
      for (const resource of resourcesOf(statement)) expect(allowed).toContain(json(resource));
    }
    const tenantsWrites = dynamo.filter(
      (s) =>
        resourcesOf(s).some((r) => json(r) === json(getAtt(logicalId(stack.storage.tenants)))) &&
        actionsOf(s).some((a) => ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'].includes(a)),
    );
    expect(tenantsWrites).toEqual([]);
    // Secrets Manager: only reading the data key, which seals the bodies it stores; no tenant secret.
    const secretStatements = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    expect(secretStatements.flatMap(actionsOf)).toEqual(['secretsmanager:GetSecretValue']);
    expect(secretStatements.flatMap(resourcesOf).map(json)).toEqual([json({ Ref: logicalId(stack.dataKey.secret) })]);
  });

  test('no statement anywhere grants a wildcard action, nor any action on "*"', () => {
    // Act
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Statement[],
    );
    // Assess
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      expect(actionsOf(statement).filter((a) => a.includes('*'))).toEqual([]);
      expect(resourcesOf(statement)).not.toContain('*');
    }
  });

  test('each function holds exactly the actions its code sends, per resource', () => {
    // Prepare
    const tenants = json(getAtt(logicalId(stack.storage.tenants)));
    const events = json(getAtt(logicalId(stack.storage.events)));
    const index = (name: string) =>
      json({ 'Fn::Join': ['', [getAtt(logicalId(stack.storage.events)), `/index/${name}`]] });
    const queue = json(getAtt(logicalId(stack.processing.queue)));
    const dlq = json(getAtt(logicalId(stack.processing.deadLetterQueue)));
    const secrets = json({
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
    });
    // Every function that touches events or messages reads the data key (numbers and bodies are sealed at rest).
    const dataKey = json({ Ref: logicalId(stack.dataKey.secret) });
    const expected: Record<string, Record<string, string[]>> = {
      ingest: {
        [dataKey]: ['secretsmanager:GetSecretValue'],
        [tenants]: ['dynamodb:GetItem'],
        // GetItem: the same body in the previous dedup window; GetItem and UpdateItem: an SMS Bridge duplicate of a
        // Web hook's event adds the SMS channel to it.
        [events]: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        [queue]: ['sqs:SendMessage'],
        // Path spellings API Gateway sends to $default are handed to the function serving them.
        [json(getAtt(logicalId(fns.register!.lambda)))]: ['lambda:InvokeFunction'],
        [json(getAtt(logicalId(fns.admin!.lambda)))]: ['lambda:InvokeFunction'],
        [json(getAtt(logicalId(fns.twilioStatus!.lambda)))]: ['lambda:InvokeFunction'],
      },
      register: {
        [tenants]: [
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ],
        // GetSecretValue: an aws tenant re-registering proves itself by the Fineract credentials it stored.
        [secrets]: [
          'secretsmanager:CreateSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:RestoreSecret',
        ],
      },
      admin: {
        // PutItem and the secret writes: forwarding targets and their signing secrets (the tenant API); UpdateItem:
        // the web console disables a target; console sessions are put, read and deleted (a link by a DeleteItem).
        [tenants]: [
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ],
        // BatchGetItem and byPhone: the event search (GET /tenants/{t}/events?…).
        [events]: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        [index('byTenantTimeV2')]: ['dynamodb:Query'],
        [index('byPhone')]: ['dynamodb:Query'],
        [dataKey]: ['secretsmanager:GetSecretValue'],
        [secrets]: [
          'secretsmanager:CreateSecret',
          'secretsmanager:DeleteSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
        ],
        [queue]: ['sqs:SendMessage'],
      },
      twilioStatus: {
        [events]: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        [secrets]: ['secretsmanager:GetSecretValue'],
        [dataKey]: ['secretsmanager:GetSecretValue'],
      },
      worker: {
        [tenants]: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        [events]: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        [secrets]: ['secretsmanager:GetSecretValue'],
        [dataKey]: ['secretsmanager:GetSecretValue'],
        // The event source's needs; ChangeMessageVisibility is also the worker's backoff.
        [queue]: [
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:ReceiveMessage',
        ],
        [dlq]: ['sqs:SendMessage'],
      },
      sweeper: {
        [dataKey]: ['secretsmanager:GetSecretValue'],
        [events]: ['dynamodb:UpdateItem'],
        [index('byDueV2')]: ['dynamodb:Query'],
        [queue]: ['sqs:SendMessage'],
      },
    };
    for (const [name, fn] of Object.entries(fns)) {
      // Act
      const granted: Record<string, Set<string>> = {};
      for (const statement of statementsOfRole(template, logicalId(fn.role))) {
        for (const resource of resourcesOf(statement)) {
          const key = json(resource);
          if (key === json(getAtt(logicalId(fn.logGroup)))) continue;
          granted[key] ??= new Set();
          for (const action of actionsOf(statement)) granted[key].add(action);
        }
      }
      const actual = Object.fromEntries(Object.entries(granted).map(([key, actions]) => [key, [...actions].sort()]));
      // Assess
      expect({ name, grants: actual }).toEqual({ name, grants: expected[name] });
    }
  });

  test('nobody may scan the events table, and only admin may delete a secret', () => {
    // Act
    const all = Object.values(fns).flatMap((fn) => statementsOfRole(template, logicalId(fn.role)));
    const deleters = Object.entries(fns)
      .filter(([, fn]) =>
        statementsOfRole(template, logicalId(fn.role)).some((s) =>
          actionsOf(s).includes('secretsmanager:DeleteSecret'),
        ),
      )
      .map(([name]) => name);
    // Assess
    expect(all.filter((s) => actionsOf(s).includes('dynamodb:Scan'))).toEqual([]);
    expect(deleters).toEqual(['admin']);
  });

  test('function roles use no AWS managed policy: logging is granted on their own log group only', () => {
    for (const fn of Object.values(fns)) {
      // Act
      const role = template.toJSON().Resources[logicalId(fn.role)];
      const logStatements = statementsOfRole(template, logicalId(fn.role)).filter((s) =>
        actionsOf(s).some((a) => a.startsWith('logs:')),
      );
      // Assess
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(logStatements.flatMap(resourcesOf)).toEqual([getAtt(logicalId(fn.logGroup))]);
    }
  });
});

describe('storage', () => {
  test('both tables: on demand, PITR, TTL on ttl, encrypted, retained and deletion-protected by default', () => {
    // Act
    const tables = template.findResources('AWS::DynamoDB::Table');
    // Assess
    expect(Object.keys(tables)).toHaveLength(2);
    for (const table of Object.values(tables)) {
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
      expect(table.Properties).toMatchObject({
        DeletionProtectionEnabled: true,
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        SSESpecification: { SSEEnabled: true },
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      });
    }
  });

  test('events table indexes (layout v2): byTenantTimeV2 and byDueV2 projecting ids and immutable fields only, byPhone keys only', () => {
    // Assess
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byTenantTimeV2',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          // Attributes fixed when the event is stored: a status update never rewrites this index.
          Projection: {
            ProjectionType: 'INCLUDE',
            NonKeyAttributes: [
              'tenantId',
              'eventId',
              'entity',
              'action',
              'receivedAt',
              'commandId',
              'clientId',
              'loanId',
              'savingsId',
            ],
          },
        },
        {
          IndexName: 'byDueV2',
          KeySchema: [
            { AttributeName: 'duePk', KeyType: 'HASH' },
            { AttributeName: 'dueAt', KeyType: 'RANGE' },
          ],
          // The sweeper's work list: which event, never its body.
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['tenantId', 'eventId'] },
        },
        {
          IndexName: 'byPhone',
          KeySchema: [
            { AttributeName: 'phonePk', KeyType: 'HASH' },
            { AttributeName: 'createdAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    });
    expect(stack.storage.events.indexNames).toEqual(['byTenantTimeV2', 'byDueV2', 'byPhone']);
    expect(stack.storage.tenants.indexNames).toEqual([]);
  });
});

describe('processing', () => {
  const fourteenDays = 14 * 24 * 3600;

  test('queue and DLQ: SQS-managed encryption, TLS enforced, 14-day retention, redrive after 12 receives', () => {
    // Prepare
    const dlq = logicalId(stack.processing.deadLetterQueue);
    const queue = logicalId(stack.processing.queue);
    // Act
    const resources = template.toJSON().Resources;
    // Assess
    for (const id of [dlq, queue]) {
      expect(resources[id].Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: fourteenDays,
      });
    }
    expect(resources[queue].Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: getAtt(dlq),
      maxReceiveCount: 12,
    });
    template.resourceCountIs('AWS::SQS::QueuePolicy', 2);
    for (const policy of Object.values(template.findResources('AWS::SQS::QueuePolicy'))) {
      expect(policy.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      );
    }
  });

  test('visibility timeout is at least six times the worker timeout', () => {
    // Act
    const resources = template.toJSON().Resources;
    const visibility = resources[logicalId(stack.processing.queue)].Properties.VisibilityTimeout as number;
    const workerTimeout = resources[logicalId(fns.worker!.lambda)].Properties.Timeout as number;
    // Assess
    // A batch of 10 runs in parallel: a Fineract callback (8 s) then a Twilio send (10 s) each, with room to spare.
    expect(workerTimeout).toBe(60);
    expect(visibility).toBeGreaterThanOrEqual(6 * workerTimeout);
  });

  test('the worker reads the queue in batches and reports item failures', () => {
    // Assess
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(fns.worker!.lambda) },
      EventSourceArn: getAtt(logicalId(stack.processing.queue)),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });

  test('the sweeper runs every 5 minutes', () => {
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: getAtt(logicalId(fns.sweeper!.lambda)) })],
    });
  });
});

describe('functions', () => {
  test('all six: nodejs24.x on arm64, own log group with 3-month retention', () => {
    // Act
    const functions = template.findResources('AWS::Lambda::Function');
    const logGroups = template.toJSON().Resources;
    // Assess
    expect(Object.keys(functions)).toHaveLength(6);
    for (const fn of Object.values(fns)) {
      const props = functions[logicalId(fn.lambda)]!.Properties;
      expect(props).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
      });
      expect(props.LoggingConfig).toEqual({
        LogGroup: { Ref: logicalId(fn.logGroup) },
        LogFormat: 'JSON',
        SystemLogLevel: 'WARN',
        ApplicationLogLevel: 'INFO',
      });
      expect(logGroups[logicalId(fn.logGroup)]).toMatchObject({
        DeletionPolicy: 'Retain',
        Properties: { RetentionInDays: 90 },
      });
    }
  });

  test('memory from the measurements: 256 MB for the request-bound functions, 512 MB where the Twilio SDK loads', () => {
    // Act
    const functions = template.findResources('AWS::Lambda::Function');
    const memory = Object.fromEntries(
      Object.entries(fns).map(([name, fn]) => [name, functions[logicalId(fn.lambda)]!.Properties.MemorySize]),
    );
    // Assess
    expect(memory).toEqual({ ingest: 256, register: 512, admin: 256, twilioStatus: 256, worker: 512, sweeper: 256 });
  });

  test('house environment on every function, and never NODE_OPTIONS', () => {
    for (const fn of Object.values(fns)) {
      // Act
      const env = envOf(fn);
      // Assess
      expect(env).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'fineract-hook-receiver',
        LOG_LEVEL: 'INFO',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        OPEN_ENROLLMENT: 'false',
        ALLOW_PRIVATE_ENDPOINTS: 'false',
        SMS_DRY_RUN: 'false',
        KEY_GRACE_SECONDS: '86400',
      });
      expect(env).not.toHaveProperty('NODE_OPTIONS');
      expect(env).not.toHaveProperty('RETRY_SCHEDULE_SECONDS');
    }
  });

  test('each function gets the names of exactly what it uses', () => {
    // Prepare
    const tenants = { Ref: logicalId(stack.storage.tenants) };
    const events = { Ref: logicalId(stack.storage.events) };
    const queue = { Ref: logicalId(stack.processing.queue) };
    const dlq = { Ref: logicalId(stack.processing.deadLetterQueue) };
    const endpoint = { 'Fn::GetAtt': [logicalId(stack.api.httpApi), 'ApiEndpoint'] };
    const prefix = 'fineracthookreceiver/tenants/';
    // Act
    const env = Object.fromEntries(Object.entries(fns).map(([name, fn]) => [name, envOf(fn)]));
    // Assess
    for (const name of ['ingest', 'admin']) {
      expect(env[name]).toMatchObject({ TENANTS_TABLE: tenants, EVENTS_TABLE: events });
    }
    expect(env.ingest).toMatchObject({ QUEUE_URL: queue });
    expect(env.ingest).not.toHaveProperty('SECRET_PREFIX');
    expect(env.register).toMatchObject({ TENANTS_TABLE: tenants, SECRET_PREFIX: prefix });
    expect(env.register).not.toHaveProperty('QUEUE_URL');
    expect(env.admin).toMatchObject({ SECRET_PREFIX: prefix, QUEUE_URL: queue });
    expect(env.twilioStatus).toMatchObject({ EVENTS_TABLE: events, SECRET_PREFIX: prefix, PUBLIC_BASE_URL: endpoint });
    expect(env.twilioStatus).not.toHaveProperty('TENANTS_TABLE');
    expect(env.worker).toMatchObject({
      TENANTS_TABLE: tenants,
      EVENTS_TABLE: events,
      SECRET_PREFIX: prefix,
      QUEUE_URL: queue,
      DLQ_URL: dlq,
      PUBLIC_BASE_URL: endpoint,
    });
    expect(env.sweeper).toMatchObject({ EVENTS_TABLE: events, QUEUE_URL: queue });
  });

  test('no function is in a VPC (registration and the worker call Twilio and Fineract over the internet)', () => {
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.VpcConfig).toBeUndefined();
    }
  });
});

describe('observability and outputs', () => {
  test('alarms on dead letters, worker errors, API 5xx, sweeper errors and sweeper re-drives; a dashboard', () => {
    // Assess
    template.resourceCountIs('AWS::CloudWatch::Alarm', 8);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'FineractHookReceiver-DeadLetters',
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack.processing.deadLetterQueue), 'QueueName'] } },
      ],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'FineractHookReceiver-WorkerErrors',
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(fns.worker!.lambda) } }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'FineractHookReceiver-Api5xx',
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: { Ref: logicalId(stack.api.httpApi) } }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'FineractHookReceiver-SweeperErrors',
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(fns.sweeper!.lambda) } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
    // The metric the sweeper emits through Powertools: the stack's namespace, the service as only dimension.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'FineractHookReceiver-SweeperRedrives',
      Namespace: 'FineractHookReceiver',
      MetricName: SWEEPER_REDRIVE_METRIC,
      Dimensions: [{ Name: 'service', Value: 'fineract-hook-receiver' }],
      Statistic: 'Sum',
      Period: 300,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
    expect(envOf(fns.sweeper!)).toMatchObject({
      POWERTOOLS_METRICS_NAMESPACE: 'FineractHookReceiver',
      POWERTOOLS_SERVICE_NAME: 'fineract-hook-receiver',
    });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  test('by default every alarm notifies an encrypted topic (no subscription until alarmEmail)', () => {
    // Prepare
    const topic = logicalId(stack.observability.topic!);
    // Act
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    // Assess
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topic }]);
    }
  });

  test("CloudWatch may publish to the topic and use its key, for this account and this stack's alarms only", () => {
    // Prepare
    const topic = logicalId(stack.observability.topic!);
    const key = logicalId(stack.observability.topicKey!);
    const condition = {
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnLike: {
        'aws:SourceArn': {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':cloudwatch:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':alarm:FineractHookReceiver-*',
            ],
          ],
        },
      },
    };
    // Act
    const topicPolicy = Object.values(template.findResources('AWS::SNS::TopicPolicy'))[0]!;
    const keyPolicy = template.toJSON().Resources[key].Properties.KeyPolicy;
    // Assess
    expect(topicPolicy.Properties.Topics).toEqual([{ Ref: topic }]);
    expect(topicPolicy.Properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      {
        Sid: 'AllowCloudWatchAlarmsOfThisStack',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: topic },
        Condition: condition,
      },
    ]);
    expect(keyPolicy.Statement).toEqual(
      expect.arrayContaining([
        {
          Sid: 'AllowCloudWatchAlarmsOfThisStack',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Resource: '*',
          Condition: condition,
        },
      ]),
    );
    // Every alarm name matches the pattern the policies trust.
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmName).toMatch(/^FineractHookReceiver-[A-Za-z0-9]+$/);
    }
  });

  test('outputs for operators, the CLI and the MifosX/Fineract hook forms', () => {
    // Prepare
    const endpoint = { 'Fn::GetAtt': [logicalId(stack.api.httpApi), 'ApiEndpoint'] };
    const joined = (suffix: string) => ({ 'Fn::Join': ['', [endpoint, suffix]] });
    // Act
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    // Assess
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'ApiUrl',
        'DeadLetterQueueUrl',
        'EventsTableName',
        'QueueUrl',
        'SecretPrefix',
        'DataKeySecretArn',
        'SmsBridgePayloadUrlFineract',
        'SmsBridgePayloadUrlMifosX',
        'TenantsTableName',
        'WebHookPayloadUrlTemplate',
        'DashboardName',
        'AlarmTopicArn',
        'OperatorPolicyArn',
        'ApiAccessLogGroupName',
        'IngestLogGroupName',
        'RegisterLogGroupName',
        'AdminLogGroupName',
        'TwilioStatusLogGroupName',
        'WorkerLogGroupName',
        'SweeperLogGroupName',
        'StatusFunctionUrl',
        'AfricasTalkingDeliveryReportUrlTemplate',
      ].sort(),
    );
    expect(outputs.DashboardName!.Value).toEqual({ Ref: logicalId(stack.observability.dashboard) });
    expect(outputs.AlarmTopicArn!.Value).toEqual({ Ref: logicalId(stack.observability.topic!) });
    expect(outputs.ApiAccessLogGroupName!.Value).toEqual({ Ref: logicalId(stack.api.accessLogGroup) });
    for (const [name, fn] of Object.entries(fns)) {
      const key = `${name[0]!.toUpperCase()}${name.slice(1)}LogGroupName`;
      expect(outputs[key]!.Value).toEqual({ Ref: logicalId(fn.logGroup) });
    }
    expect(outputs.ApiUrl!.Value).toEqual(endpoint);
    expect(outputs.SmsBridgePayloadUrlMifosX!.Value).toEqual(joined('/modules/sms'));
    expect(outputs.SmsBridgePayloadUrlFineract!.Value).toEqual(joined('/modules/sms/'));
    expect(outputs.WebHookPayloadUrlTemplate!.Value).toEqual(joined('/hooks/<api-key>/'));
    expect(outputs.SecretPrefix!.Value).toBe('fineracthookreceiver/tenants/');
    expect(outputs.TenantsTableName!.Value).toEqual({ Ref: logicalId(stack.storage.tenants) });
    expect(outputs.QueueUrl!.Value).toEqual({ Ref: logicalId(stack.processing.queue) });
  });
});
