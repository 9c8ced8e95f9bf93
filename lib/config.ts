import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { parseSchedule } from '../lambdas/core/settings';

/** The six functions of the receiver; the key is how context and the route table name them. */
export const FUNCTION_KEYS = ['ingest', 'register', 'admin', 'twilioStatus', 'worker', 'sweeper'] as const;
export type ReceiverFunctionKey = (typeof FUNCTION_KEYS)[number];

export interface ReceiverConfig {
  removalPolicy: RemovalPolicy;
  logRetention: RetentionDays;
  logLevel: string;
  maxReceiveCount: number;
  workerMaxConcurrency: number;
  reservedConcurrency: Partial<Record<ReceiverFunctionKey, number>>;
  sweepMinutes: number;
  throttleRateLimit: number;
  throttleBurstLimit: number;
  /** Undefined: derived from the stack name, which the config reader does not know. */
  secretPrefix?: string;
  publicBaseUrl?: string;
  openEnrollment: boolean;
  /** Always false: `allowPrivateEndpoints=true` is refused in AWS (see readConfig). */
  allowPrivateEndpoints: false;
  smsDryRun: boolean;
  retryScheduleSeconds?: string;
  keyGraceSeconds: number;
  alarmEmail?: string;
  alarmTopic: boolean;
  /** Also count per tenant (a custom metric per tenant and name): off by default, see README "CloudWatch". */
  perTenantMetrics: boolean;
  /** Names of retained tables to re-attach instead of creating new ones (after a stack delete). */
  tenantsTableName?: string;
  eventsTableName?: string;
  /** The data key secret a deleted stack retained, re-attached with its tables (what they hold is sealed with it). */
  dataKeySecretArn?: string;
  /** EventBridge buses forwarding targets may name (`-c forwardEventBuses=arn,…`); none → no PutEvents grant. */
  forwardEventBuses?: string[];
  /**
   * AWS End User Messaging origination identities tenants may send from (`-c smsOriginationIdentities=…`): phone
   * number or pool ids, or phone number / pool / sender ID ARNs. None → no `sms-voice` grant and no configuration
   * set: `aws` tenants cannot send.
   */
  smsOriginationIdentities?: string[];
  /**
   * Give the status function its own public URL (auth NONE) and have Twilio report there instead of through API
   * Gateway: no HTTP API request per delivery report. `false` for accounts whose policies forbid public function
   * URLs; the API Gateway routes serve the reports either way.
   */
  statusFunctionUrl: boolean;
}

/** Context keys the app understands, with the defaults used when a key is absent. */
export const CONTEXT_DEFAULTS = {
  removalPolicy: 'retain',
  logRetentionDays: 90,
  logLevel: 'INFO',
  maxReceiveCount: 12,
  workerMaxConcurrency: 5,
  sweepMinutes: 5,
  throttleRateLimit: 200,
  throttleBurstLimit: 400,
  openEnrollment: false,
  smsDryRun: false,
  keyGraceSeconds: 86400,
  alarmTopic: true,
  perTenantMetrics: false,
  statusFunctionUrl: true,
} as const;

/** The stack name when `-c stackName=…` is absent; other names let staging and production share an account. */
export const DEFAULT_STACK_NAME = 'FineractHookReceiver';

export class ConfigError extends Error {
  constructor(key: string, problem: string) {
    super(`Context "${key}": ${problem}`);
    this.name = 'ConfigError';
  }
}

type Lookup = (key: string) => unknown;

// `-c key=value` always arrives as a string, cdk.json may hold real JSON values: accept both.
function str(lookup: Lookup, key: string): string | undefined {
  const value = lookup(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new ConfigError(key, `expected a string, got ${JSON.stringify(value)}`);
}

function int(lookup: Lookup, key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = str(lookup, key);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(key, `expected an integer in [${min}, ${max}], got "${raw}"`);
  }
  return n;
}

function bool(lookup: Lookup, key: string, fallback: boolean): boolean {
  const raw = str(lookup, key);
  if (raw === undefined) return fallback;
  if (/^(true|1|yes|on)$/i.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  throw new ConfigError(key, `expected true or false, got "${raw}"`);
}

function removalPolicy(lookup: Lookup): RemovalPolicy {
  const raw = (str(lookup, 'removalPolicy') ?? CONTEXT_DEFAULTS.removalPolicy).toLowerCase();
  if (raw === 'retain') return RemovalPolicy.RETAIN;
  if (raw === 'destroy') return RemovalPolicy.DESTROY;
  throw new ConfigError('removalPolicy', `expected "retain" or "destroy", got "${raw}"`);
}

function logRetention(lookup: Lookup): RetentionDays {
  const days = int(lookup, 'logRetentionDays', CONTEXT_DEFAULTS.logRetentionDays, 1);
  // CloudWatch accepts only its fixed list of retention periods; fail at synth rather than at deploy.
  const allowed = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number' && v > 0);
  if (!allowed.includes(days)) {
    throw new ConfigError('logRetentionDays', `${days} is not a CloudWatch retention period (${allowed.join(', ')})`);
  }
  return days as RetentionDays;
}

function reservedConcurrency(
  lookup: Lookup,
  workerMaxConcurrency: number,
): Partial<Record<ReceiverFunctionKey, number>> {
  const result: Partial<Record<ReceiverFunctionKey, number>> = {};
  const raw = lookup('reservedConcurrency');
  if (raw !== undefined && raw !== null && raw !== '') {
    let parsed: unknown = raw;
    if (typeof raw === 'string') {
      try {
        parsed = JSON.parse(raw);
      } catch {
        throw new ConfigError('reservedConcurrency', `expected a JSON object such as {"ingest":20}, got "${raw}"`);
      }
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError('reservedConcurrency', 'expected a JSON object such as {"ingest":20}');
    }
    for (const [name, value] of Object.entries(parsed)) {
      if (!(FUNCTION_KEYS as readonly string[]).includes(name)) {
        throw new ConfigError('reservedConcurrency', `unknown function "${name}" (known: ${FUNCTION_KEYS.join(', ')})`);
      }
      result[name as ReceiverFunctionKey] = int(() => value, `reservedConcurrency.${name}`, 0, 0);
    }
  }
  // Individual keys (`ingestReservedConcurrency=20`) are easier to pass on the command line and win over the object.
  for (const name of FUNCTION_KEYS) {
    const key = `${name}ReservedConcurrency`;
    if (str(lookup, key) !== undefined) result[name] = int(lookup, key, 0, 0);
  }
  for (const [name, value] of Object.entries(result)) {
    // Zero is Lambda's "throttle everything" switch: a hook sent to a function reserved at 0 is lost.
    if (value === 0) {
      throw new ConfigError(
        `${name}ReservedConcurrency`,
        '0 would stop the function entirely (Lambda throttles every invocation); leave it unset instead',
      );
    }
  }
  const worker = result.worker;
  // The SQS poller keeps up to workerMaxConcurrency invocations in flight; a smaller reservation makes it throttle,
  // each throttled batch counts a receive, and healthy events drift into the dead-letter queue.
  if (worker !== undefined && worker < workerMaxConcurrency) {
    throw new ConfigError(
      'workerReservedConcurrency',
      `${worker} is below the queue consumer's maximum concurrency (workerMaxConcurrency=${workerMaxConcurrency}); ` +
        'reserve at least that many, or lower workerMaxConcurrency',
    );
  }
  return result;
}

// Powertools Logger's levels; anything else would silently fall back to INFO at runtime.
const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'];

function logLevel(lookup: Lookup): string {
  const level = (str(lookup, 'logLevel') ?? CONTEXT_DEFAULTS.logLevel).toUpperCase();
  if (!LOG_LEVELS.includes(level)) throw new ConfigError('logLevel', `expected one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

function retrySchedule(lookup: Lookup): string | undefined {
  const raw = str(lookup, 'retryScheduleSeconds');
  if (raw === undefined) return undefined;
  // Same parser as the functions use: a typo fails the synth instead of every worker cold start.
  try {
    parseSchedule(raw);
  } catch (error) {
    throw new ConfigError('retryScheduleSeconds', (error as Error).message);
  }
  return raw;
}

// DynamoDB table names: 3-255 characters of this set.
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

function tableName(lookup: Lookup, key: string): string | undefined {
  const name = str(lookup, key);
  if (name !== undefined && !TABLE_NAME.test(name)) {
    throw new ConfigError(key, `expected a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -), got "${name}"`);
  }
  return name;
}

export function readConfig(lookup: Lookup): ReceiverConfig {
  if (bool(lookup, 'allowPrivateEndpoints', false)) {
    // Outside a VPC a function reaches no private network: the only private address it can reach is its own
    // Lambda Runtime API on 127.0.0.1, and opening that to tenant-supplied Fineract URLs is an SSRF.
    throw new ConfigError(
      'allowPrivateEndpoints',
      'true is refused in AWS: the functions run outside any VPC, so the only private address they could reach is ' +
        'the Lambda Runtime API on 127.0.0.1 (an SSRF hole); it is a local-server setting (ALLOW_PRIVATE_ENDPOINTS)',
    );
  }
  const publicBaseUrl = str(lookup, 'publicBaseUrl');
  if (publicBaseUrl !== undefined && !/^https:\/\/[^\s/]+/.test(publicBaseUrl)) {
    throw new ConfigError('publicBaseUrl', `expected an https:// URL, got "${publicBaseUrl}"`);
  }
  const secretPrefix = str(lookup, 'secretPrefix');
  if (secretPrefix !== undefined && !/^[A-Za-z0-9/_+=.@-]+$/.test(secretPrefix)) {
    throw new ConfigError(
      'secretPrefix',
      `Secrets Manager names allow only A-Z a-z 0-9 / _ + = . @ -, got "${secretPrefix}"`,
    );
  }
  const alarmEmail = str(lookup, 'alarmEmail');
  if (alarmEmail !== undefined && !/^[^\s@]+@[^\s@]+$/.test(alarmEmail)) {
    throw new ConfigError('alarmEmail', `expected an e-mail address, got "${alarmEmail}"`);
  }
  const alarmTopic = bool(lookup, 'alarmTopic', CONTEXT_DEFAULTS.alarmTopic);
  if (alarmEmail !== undefined && !alarmTopic) {
    throw new ConfigError('alarmTopic', 'false contradicts alarmEmail, which needs the topic to subscribe to');
  }
  const workerMaxConcurrency = int(
    lookup,
    'workerMaxConcurrency',
    CONTEXT_DEFAULTS.workerMaxConcurrency,
    // AWS rejects an SQS event source maximum concurrency outside 2..1000.
    2,
    1000,
  );
  return {
    removalPolicy: removalPolicy(lookup),
    logRetention: logRetention(lookup),
    logLevel: logLevel(lookup),
    maxReceiveCount: int(lookup, 'maxReceiveCount', CONTEXT_DEFAULTS.maxReceiveCount, 1, 1000),
    workerMaxConcurrency,
    reservedConcurrency: reservedConcurrency(lookup, workerMaxConcurrency),
    sweepMinutes: int(lookup, 'sweepMinutes', CONTEXT_DEFAULTS.sweepMinutes, 1, 1440),
    throttleRateLimit: int(lookup, 'throttleRateLimit', CONTEXT_DEFAULTS.throttleRateLimit, 1),
    throttleBurstLimit: int(lookup, 'throttleBurstLimit', CONTEXT_DEFAULTS.throttleBurstLimit, 1),
    secretPrefix,
    publicBaseUrl: publicBaseUrl?.replace(/\/+$/, ''),
    openEnrollment: bool(lookup, 'openEnrollment', CONTEXT_DEFAULTS.openEnrollment),
    allowPrivateEndpoints: false,
    smsDryRun: bool(lookup, 'smsDryRun', CONTEXT_DEFAULTS.smsDryRun),
    retryScheduleSeconds: retrySchedule(lookup),
    keyGraceSeconds: int(lookup, 'keyGraceSeconds', CONTEXT_DEFAULTS.keyGraceSeconds, 0),
    alarmEmail,
    alarmTopic,
    perTenantMetrics: bool(lookup, 'perTenantMetrics', CONTEXT_DEFAULTS.perTenantMetrics),
    tenantsTableName: tableName(lookup, 'tenantsTableName'),
    eventsTableName: tableName(lookup, 'eventsTableName'),
    dataKeySecretArn: secretArn(lookup, 'dataKeySecretArn'),
    forwardEventBuses: eventBuses(lookup),
    smsOriginationIdentities: originationIdentities(lookup),
    statusFunctionUrl: bool(lookup, 'statusFunctionUrl', CONTEXT_DEFAULTS.statusFunctionUrl),
  };
}

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;

function secretArn(lookup: Lookup, key: string): string | undefined {
  const arn = str(lookup, key);
  if (arn !== undefined && !SECRET_ARN.test(arn)) {
    throw new ConfigError(key, `expected the complete ARN of a Secrets Manager secret (with its suffix), got "${arn}"`);
  }
  return arn;
}

/** What IAM can name: ids (`phone-…`, `pool-…`) or ARNs; an E.164 number or a bare sender ID has no ARN of its own. */
const ORIGINATION_IDENTITY =
  /^(?:(?:phone|pool)-[0-9a-f]{32}|arn:aws[a-z-]*:sms-voice:[a-z0-9-]+:\d{12}:(?:phone-number\/phone-[0-9a-f]{32}|pool\/pool-[0-9a-f]{32}|sender-id\/[A-Za-z0-9-]{1,11}\/[A-Z]{2}))$/;

function originationIdentities(lookup: Lookup): string[] | undefined {
  const raw = lookup('smsOriginationIdentities');
  if (raw === undefined || raw === null || raw === '') return undefined;
  const list = (Array.isArray(raw) ? raw.map(String) : String(raw).split(',')).map((a) => a.trim()).filter(Boolean);
  for (const identity of list) {
    if (!ORIGINATION_IDENTITY.test(identity)) {
      throw new ConfigError(
        'smsOriginationIdentities',
        `expected phone number or pool ids (phone-…, pool-…) or phone number, pool or sender ID ARNs, got "${identity}"`,
      );
    }
  }
  return list.length > 0 ? list : undefined;
}

const EVENT_BUS_ARN = /^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[A-Za-z0-9._\-/]+$/;

function eventBuses(lookup: Lookup): string[] | undefined {
  const raw = lookup('forwardEventBuses');
  if (raw === undefined || raw === null || raw === '') return undefined;
  const list = Array.isArray(raw) ? raw.map(String) : String(raw).split(',');
  const arns = list.map((a) => a.trim()).filter(Boolean);
  for (const arn of arns) {
    if (!EVENT_BUS_ARN.test(arn)) throw new ConfigError('forwardEventBuses', `expected event bus ARNs, got "${arn}"`);
  }
  return arns.length > 0 ? arns : undefined;
}

/** `-c stackName=…`: CloudFormation's rule (a letter, then letters, digits and hyphens, at most 128). */
export function readStackName(lookup: Lookup): string {
  const name = str(lookup, 'stackName') ?? DEFAULT_STACK_NAME;
  if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(name)) {
    throw new ConfigError('stackName', `expected a letter then letters, digits or "-" (at most 128), got "${name}"`);
  }
  return name;
}

export function readConfigFromContext(node: Node): ReceiverConfig {
  return readConfig((key) => node.tryGetContext(key));
}
