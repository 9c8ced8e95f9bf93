import type { Template } from 'aws-cdk-lib/assertions';
import { STATUS_URL_RESERVED_CONCURRENCY } from '../../lib/api';
import type { FineractHookReceiverStack } from '../../lib/fineract-hook-receiver-stack';
import { applicationLogLevel } from '../../lib/hook-function';
import { logicalId, synthStack } from './synth';

interface Resource {
  Type: string;
  Properties: Record<string, unknown> & { Environment?: { Variables: Record<string, unknown> } };
}

const resourcesOfType = (template: Template, type: string): Record<string, Resource> =>
  template.findResources(type) as Record<string, Resource>;

function functionsOf(stack: FineractHookReceiverStack) {
  return { ...stack.api.functions, worker: stack.processing.worker, sweeper: stack.processing.sweeper };
}

describe('the status function URL (default)', () => {
  let stack: FineractHookReceiverStack;
  let template: Template;
  beforeAll(() => {
    ({ stack, template } = synthStack());
  });

  test('only the status function has a URL, public (auth NONE): reports are authenticated by their content', () => {
    // Act
    const urls = Object.values(resourcesOfType(template, 'AWS::Lambda::Url'));
    // Assess
    expect(urls).toHaveLength(1);
    expect(urls[0]!.Properties).toEqual({
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [logicalId(stack.api.twilioStatus.lambda), 'Arn'] },
    });
  });

  test('its resource policy holds both permissions a public URL needs (since October 2025), and only via the URL', () => {
    // Prepare
    const status = logicalId(stack.api.twilioStatus.lambda);
    // Act
    const permissions = Object.values(resourcesOfType(template, 'AWS::Lambda::Permission'))
      .map((p) => p.Properties)
      .filter((p) => p.Principal === '*');
    // Assess
    expect(permissions).toEqual(
      expect.arrayContaining([
        {
          Action: 'lambda:InvokeFunctionUrl',
          FunctionName: { 'Fn::GetAtt': [status, 'Arn'] },
          Principal: '*',
          FunctionUrlAuthType: 'NONE',
        },
        {
          Action: 'lambda:InvokeFunction',
          FunctionName: { 'Fn::GetAtt': [status, 'Arn'] },
          Principal: '*',
          InvokedViaFunctionUrl: true,
        },
      ]),
    );
    // Nothing else is open to anyone: an InvokeFunction for `*` without the URL condition would be a public function.
    expect(permissions).toHaveLength(2);
  });

  test('the worker gives Twilio the function URL; the status function keeps the public URL for older messages', () => {
    // Prepare
    const resources = template.toJSON().Resources as Record<string, Resource>;
    const env = (fn: { lambda: Parameters<typeof logicalId>[0] }) =>
      resources[logicalId(fn.lambda)]!.Properties.Environment!.Variables;
    const url = { 'Fn::GetAtt': [logicalId(stack.api.statusUrl!), 'FunctionUrl'] };
    const apiEndpoint = { 'Fn::GetAtt': [logicalId(stack.api.httpApi), 'ApiEndpoint'] };
    // Assess
    expect(env(stack.processing.worker)).toMatchObject({ STATUS_CALLBACK_BASE_URL: url, PUBLIC_BASE_URL: apiEndpoint });
    expect(env(stack.api.twilioStatus)).toMatchObject({ PUBLIC_BASE_URL: apiEndpoint });
    expect(env(stack.api.twilioStatus).STATUS_CALLBACK_BASE_URL).toBeUndefined();
  });

  test('the API Gateway status routes stay: messages sent before carry their URLs', () => {
    // Act
    const routeKeys = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties.RouteKey,
    );
    // Assess
    expect(routeKeys).toEqual(
      expect.arrayContaining(['POST /twilio/status/{tenantId}/{messageId}', 'POST /africastalking/status/{tenantId}']),
    );
  });

  test('its concurrency is capped: nothing else throttles a function URL', () => {
    // Act
    const reserved = (template.toJSON().Resources as Record<string, Resource>)[
      logicalId(stack.api.twilioStatus.lambda)
    ]!.Properties.ReservedConcurrentExecutions;
    // Assess
    expect(reserved).toBe(STATUS_URL_RESERVED_CONCURRENCY);
  });

  test("the dashboard graphs the URL's requests and errors, which the API's graphs no longer see", () => {
    // Act
    const dashboard = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Dashboard'))[0]!;
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    // Assess
    expect(body).toContain('Delivery reports (status function URL)');
    for (const metric of ['UrlRequestCount', 'Url4xxCount', 'Url5xxCount']) expect(body).toContain(metric);
  });

  test('an alarm on reports the URL failed or throttled, which Api5xxAlarm no longer sees', () => {
    // Act
    const alarm = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm')).find(
      (a) => a.Properties.AlarmName === 'FineractHookReceiver-StatusReportsLost',
    );
    const metrics = JSON.stringify(alarm?.Properties.Metrics);
    // Assess
    expect(stack.observability.alarms).toContain(stack.observability.statusReportsLostAlarm);
    expect(alarm?.Properties).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    expect(metrics).toContain('Url5xxCount');
    expect(metrics).toContain('Throttles');
    expect(metrics).toContain(logicalId(stack.api.twilioStatus.lambda));
  });

  test("outputs the URL and the Africa's Talking delivery-report URL to paste in their dashboard", () => {
    // Prepare
    const url = { 'Fn::GetAtt': [logicalId(stack.api.statusUrl!), 'FunctionUrl'] };
    // Act
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    // Assess
    expect(outputs.StatusFunctionUrl!.Value).toEqual(url);
    expect(outputs.AfricasTalkingDeliveryReportUrlTemplate!.Value).toEqual({
      'Fn::Join': ['', [url, 'africastalking/status/<tenant-id>']],
    });
  });
});

describe('statusFunctionUrl=false (accounts that forbid public function URLs)', () => {
  let stack: FineractHookReceiverStack;
  let template: Template;
  beforeAll(() => {
    ({ stack, template } = synthStack({ statusFunctionUrl: 'false' }));
  });

  test('no URL, no public permission, no reservation; Twilio reports through API Gateway as before', () => {
    // Prepare
    const resources = template.toJSON().Resources as Record<string, Resource>;
    // Act
    const publicPermissions = Object.values(resourcesOfType(template, 'AWS::Lambda::Permission')).filter(
      (p) => p.Properties.Principal === '*',
    );
    // Assess
    expect(stack.api.statusUrl).toBeUndefined();
    template.resourceCountIs('AWS::Lambda::Url', 0);
    expect(publicPermissions).toEqual([]);
    expect(resources[logicalId(stack.processing.worker.lambda)]!.Properties.Environment!.Variables).not.toHaveProperty(
      'STATUS_CALLBACK_BASE_URL',
    );
    expect(
      resources[logicalId(stack.api.twilioStatus.lambda)]!.Properties.ReservedConcurrentExecutions,
    ).toBeUndefined();
    expect(template.toJSON().Outputs).not.toHaveProperty('StatusFunctionUrl');
    expect(stack.observability.statusReportsLostAlarm).toBeUndefined();
    template.resourceCountIs('AWS::CloudWatch::Alarm', 7);
  });
});

describe('Lambda logs: JSON, platform lines at WARN, application lines at LOG_LEVEL', () => {
  test('every function, with its own log group, at the default INFO', () => {
    // Prepare
    const { stack, template } = synthStack();
    const resources = template.toJSON().Resources as Record<string, Resource>;
    // Act
    const configs = Object.entries(functionsOf(stack)).map(([key, fn]) => [
      key,
      resources[logicalId(fn.lambda)]!.Properties.LoggingConfig,
      resources[logicalId(fn.lambda)]!.Properties.Environment!.Variables.LOG_LEVEL,
    ]);
    // Assess
    expect(configs).toHaveLength(6);
    for (const [key, config, envLevel] of configs) {
      const fn = functionsOf(stack)[key as keyof ReturnType<typeof functionsOf>];
      expect(config).toEqual({
        LogFormat: 'JSON',
        SystemLogLevel: 'WARN',
        ApplicationLogLevel: 'INFO',
        LogGroup: { Ref: logicalId(fn.logGroup) },
      });
      expect(envLevel).toBe('INFO');
    }
  });

  test('the application level follows logLevel, so Powertools and the filter agree', () => {
    // Act
    const { template } = synthStack({ logLevel: 'warn' });
    const levels = Object.values(resourcesOfType(template, 'AWS::Lambda::Function')).map((f) => [
      (f.Properties.LoggingConfig as { ApplicationLogLevel: string }).ApplicationLogLevel,
      f.Properties.Environment?.Variables.LOG_LEVEL,
    ]);
    // Assess
    expect(new Set(levels.map((pair) => pair.join(' ')))).toEqual(new Set(['WARN WARN']));
  });

  test('saved queries use only keys the functions still write: the log group names the function', () => {
    // Prepare
    const { template } = synthStack();
    // Act
    const queries = Object.values(resourcesOfType(template, 'AWS::Logs::QueryDefinition')).map((q) =>
      String(q.Properties.QueryString),
    );
    // Assess
    expect(queries.length).toBeGreaterThan(0);
    for (const query of queries) {
      expect(query).not.toMatch(/function_name|function_arn|function_memory_size|sampling_rate|xray_trace_id/);
    }
    expect(queries.some((query) => query.includes('@log'))).toBe(true);
  });

  test("Powertools' levels Lambda lacks map to FATAL, which Powertools reads back as CRITICAL", () => {
    // Act
    const mapped = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'].map(applicationLogLevel);
    // Assess
    expect(mapped).toEqual(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL', 'FATAL']);
    expect(() => applicationLogLevel('VERBOSE')).toThrow(/VERBOSE/);
  });
});
