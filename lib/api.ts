import { Duration, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type FunctionUrl, FunctionUrlAuthType } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DELEGATE_ENV, type DelegateKey, type FunctionKey, ROUTES, type RouteDef } from '../lambdas/core/routes';
import type { ReceiverConfig } from './config';
import { FUNCTION_USES } from './access';
import { HookFunction, type PortTargets } from './hook-function';
import { FUNCTION_MEMORY_MB } from './memory';
import { acknowledgeRule } from './nag';
import type { Storage } from './storage';

/**
 * API Gateway refuses route keys whose path ends in "/" (CDK checks it too), so `/modules/sms/` and
 * `/hooks/{apiKey}/` get no route of their own. Nothing is lost: such a request is matched to the slash-less route
 * or falls through to `$default`; both invoke ingest, whose router canonicalises the trailing slash.
 */
export function isRoutablePath(path: string): boolean {
  return path === '/' || !path.endsWith('/');
}

/** The routes of the shared route table that become API Gateway routes. */
export function apiGatewayRoutes(routes: readonly RouteDef[] = ROUTES): RouteDef[] {
  return routes.filter((route) => isRoutablePath(route.path));
}

function routeId(route: RouteDef): string {
  const segments = route.path.split('/').filter(Boolean).join('_').replace(/[{}]/g, '');
  return `${route.method}_${segments || 'root'}`;
}

// Never $context.path / rawPath / query: a Web hook carries its API key in the path. routeKey shows the template.
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  integrationErrorMessage: '$context.integrationErrorMessage',
  errorMessage: '$context.error.message',
});

/**
 * The status function's reservation when it has a public URL and none was configured: nothing throttles a function
 * URL but the function's concurrency, and a flood of forged reports must not take the account's concurrency from
 * ingest (a throttled hook is lost). A report takes ~20 ms, so 10 serve ~500 reports a second.
 */
export const STATUS_URL_RESERVED_CONCURRENCY = 10;

export interface ApiProps {
  readonly config: ReceiverConfig;
  readonly storage: Storage;
  readonly queue: IQueue;
  readonly secretPrefix: string;
  /** Env shared by every function (feature flags): they all read the same Settings. */
  readonly settingsEnv: Record<string, string>;
}

/** The HTTP API and the four functions behind it. Routes come from the route table the local server also uses. */
export class Api extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogGroup: LogGroup;
  readonly functions: Record<FunctionKey, HookFunction>;
  readonly ingest: HookFunction;
  readonly register: HookFunction;
  readonly admin: HookFunction;
  readonly twilioStatus: HookFunction;
  /** The status function's own URL (context `statusFunctionUrl`, on by default): delivery reports without API Gateway. */
  readonly statusUrl?: FunctionUrl;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { config, storage, queue, secretPrefix } = props;
    const functionDefaults = {
      logRetention: config.logRetention,
      removalPolicy: config.removalPolicy,
      logLevel: config.logLevel,
      environment: props.settingsEnv,
    };

    this.ingest = new HookFunction(this, 'Ingest', {
      ...functionDefaults,
      memorySize: FUNCTION_MEMORY_MB.ingest,
      entryDir: 'ingest',
      description: 'Receives MifosX/Fineract hook events: authenticate, store, enqueue',
      // The sender gives up after ~10 s and never retries; answering later than that is useless.
      timeout: Duration.seconds(10),
      reservedConcurrentExecutions: config.reservedConcurrency.ingest,
    });
    const targets: PortTargets = { tenants: storage.tenants, events: storage.events, queue, secretPrefix };
    this.ingest.bindPorts(FUNCTION_USES.ingest, targets);

    // Not in a VPC on purpose: registration calls Twilio and the tenant's Fineract over the internet.
    this.register = new HookFunction(this, 'Register', {
      ...functionDefaults,
      memorySize: FUNCTION_MEMORY_MB.register,
      entryDir: 'register',
      description: 'Registers a tenant (SMS Bridge configuration) and stores its credentials',
      timeout: Duration.seconds(20),
      reservedConcurrentExecutions: config.reservedConcurrency.register,
    });
    this.register.bindPorts(FUNCTION_USES.register, targets);

    this.admin = new HookFunction(this, 'Admin', {
      ...functionDefaults,
      memorySize: FUNCTION_MEMORY_MB.admin,
      entryDir: 'admin',
      description: 'Tenant configuration, event listing and resend, the tenant API and the web console',
      withConsole: true,
      timeout: Duration.seconds(20),
      reservedConcurrentExecutions: config.reservedConcurrency.admin,
    });
    this.admin.bindPorts(FUNCTION_USES.admin, targets);
    // `POST /tenants/{t}/targets/{id}/test` puts a test entry on an EventBridge target's bus: the same buses only.
    if (config.forwardEventBuses && config.forwardEventBuses.length > 0) {
      this.admin.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['events:PutEvents'], resources: [...config.forwardEventBuses] }),
      );
    }

    this.twilioStatus = new HookFunction(this, 'TwilioStatus', {
      ...functionDefaults,
      memorySize: FUNCTION_MEMORY_MB.twilioStatus,
      entryDir: 'twilio-status',
      description: 'Receives Twilio delivery status callbacks (signature checked)',
      timeout: Duration.seconds(10),
      reservedConcurrentExecutions:
        config.reservedConcurrency.twilioStatus ??
        (config.statusFunctionUrl ? STATUS_URL_RESERVED_CONCURRENCY : undefined),
    });
    this.twilioStatus.bindPorts(FUNCTION_USES.twilioStatus, targets);
    if (config.statusFunctionUrl) {
      // Auth NONE as on the API Gateway routes: Twilio reports are signed with the tenant's token, an Africa's
      // Talking report must name a message we sent (lambdas/core/provider-status.ts). The construct grants
      // lambda:InvokeFunctionUrl and lambda:InvokeFunction (only via the URL), both of which a public URL needs.
      this.statusUrl = this.twilioStatus.lambda.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
    }

    this.functions = {
      ingest: this.ingest,
      register: this.register,
      admin: this.admin,
      twilioStatus: this.twilioStatus,
    };

    // API Gateway sends path spellings no route key matches (`//configuration`, a trailing slash) to $default:
    // ingest hands them to the function serving the canonical path (Lambda Invoke on exactly that function, no
    // version wildcard), so AWS answers them as the local server does instead of with a 308.
    for (const key of Object.keys(DELEGATE_ENV) as DelegateKey[]) {
      const target = this.functions[key].lambda;
      this.ingest.setEnv(DELEGATE_ENV[key], target.functionName);
      this.ingest.lambda.addToRolePolicy(
        new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [target.functionArn] }),
      );
    }

    // One integration per function, and one API-wide invoke permission per function instead of one per route:
    // ingest alone has a dozen routes, each of which would add a statement to its resource policy.
    const integrations = Object.fromEntries(
      Object.entries(this.functions).map(([key, fn]) => [
        key,
        new HttpLambdaIntegration(`${key}Integration`, fn.lambda, { scopePermissionToRoute: false }),
      ]),
    ) as Record<FunctionKey, HttpLambdaIntegration>;

    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'MifosX/Fineract hook receiver',
      // The stage below is ours: the default one cannot take access logging or throttling.
      createDefaultStage: false,
      // Unknown paths and methods go to ingest, which answers 404/405 in JSON (and catches trailing-slash variants).
      defaultIntegration: integrations.ingest,
    });

    for (const route of apiGatewayRoutes()) {
      new HttpRoute(this, routeId(route), {
        httpApi: this.httpApi,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration: integrations[route.fn],
      });
    }

    this.accessLogGroup = new LogGroup(this, 'AccessLogs', {
      // Under /aws/vendedlogs/ CloudWatch Logs needs no resource-policy entry per group, whose size limit busy
      // accounts reach. The API id keeps the name free after a stack delete that retained the old group.
      logGroupName: `/aws/vendedlogs/apigateway/${Stack.of(this).stackName}/${this.httpApi.apiId}`,
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: config.throttleRateLimit, burstLimit: config.throttleBurstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(ACCESS_LOG_FORMAT),
      },
    });

    const noAuthorizer =
      'By design there is no API Gateway authorizer: MifosX/Fineract hooks cannot send custom auth headers or tokens ' +
      'beyond what the hook template allows, so each function authenticates the API key (header, or path for Web ' +
      'hooks) itself, against a hash stored per tenant; Twilio callbacks are authenticated by their signature.';
    acknowledgeRule(this, 'APIG4', noAuthorizer);
  }

  /** Base URL without trailing slash, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com`. */
  get endpoint(): string {
    return this.httpApi.apiEndpoint;
  }
}
