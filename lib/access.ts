import type {
  ConsoleSessionStore,
  EventSearch,
  EventStore,
  ForwardDeliveryStore,
  MessageStore,
  Queue,
  QueueControl,
  SecretStore,
  TargetSecretStore,
  TargetStore,
  TenantStore,
} from '../lambdas/core/ports';
import type { ReceiverFunctionKey } from './config';
import { BY_DUE, BY_PHONE, BY_TENANT_TIME } from '../lambdas/adapters/table-schema';

/**
 * Least privilege, written down once: which AWS actions each port method of the DynamoDB, Secrets Manager and SQS
 * adapters sends, and which port methods each function (and each operator CLI command) calls. Grants and the
 * operator policy are computed from these tables, so a function holds exactly what its code calls.
 *
 * The `Record<keyof Port, …>` types make the mapping exhaustive: a new port method does not compile until its
 * actions are written here. A function calling a method not listed for it fails in AWS with AccessDenied, so a
 * change to what a function calls comes with a change here.
 */

export type DynamoAction = 'GetItem' | 'BatchGetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Query' | 'Scan';

/** What one port method does to its table: actions on the table itself, or a Query on one of its indexes. */
export interface TableUse {
  readonly actions: readonly DynamoAction[];
  readonly index?: string;
}

const get: TableUse = { actions: ['GetItem'] };
const put: TableUse = { actions: ['PutItem'] };
const update: TableUse = { actions: ['UpdateItem'] };
const remove: TableUse = { actions: ['DeleteItem'] };
const query: TableUse = { actions: ['Query'] };

/** Index names from the one table schema; a use naming an index the table does not declare fails the synth. */
export const EVENTS_BY_TENANT_INDEX = BY_TENANT_TIME.indexName;
export const EVENTS_DUE_INDEX = BY_DUE.indexName;
export const EVENTS_BY_PHONE_INDEX = BY_PHONE.indexName;

export const TENANT_STORE: Record<keyof TenantStore, TableUse> = {
  getApiKey: get,
  putApiKey: put,
  listApiKeys: query,
  expireApiKey: update,
  deleteApiKey: remove,
  getTenant: get,
  putTenant: put,
  deleteTenant: remove,
  markCredentialsInvalid: update,
  listTenants: { actions: ['Scan'] },
  getEnrollment: get,
  putEnrollment: put,
  deleteEnrollment: remove,
  // A conditional put takes the lease, a conditional delete gives it back.
  acquireLock: put,
  releaseLock: remove,
  getTemplates: query,
  putTemplate: put,
  deleteTemplate: remove,
};

/** What one port method sends: one use, or several when it reads an index and then the table. */
export type MethodUse = TableUse | readonly TableUse[];

export const EVENT_STORE: Record<keyof EventStore, MethodUse> = {
  putIfAbsent: put,
  get,
  // The index holds only what never changes; the page's items (status and the rest) come from the table.
  listByTenant: [{ actions: ['Query'], index: EVENTS_BY_TENANT_INDEX }, { actions: ['BatchGetItem'] }],
  update,
  // A refused claim reads the event as it is.
  claim: { actions: ['UpdateItem', 'GetItem'] },
  addSmsChannel: update,
  listDue: { actions: ['Query'], index: EVENTS_DUE_INDEX },
};

/** Searches (`events find`, the tenant API): an index query, then the found items read whole in batches. */
export const EVENT_SEARCH: Record<keyof EventSearch, readonly TableUse[]> = {
  findByIds: [{ actions: ['Query'], index: EVENTS_BY_TENANT_INDEX }, { actions: ['BatchGetItem'] }],
  // The index (keys only) names message records; their event ids, then the events, are batch reads.
  findByPhoneHash: [{ actions: ['Query'], index: EVENTS_BY_PHONE_INDEX }, { actions: ['BatchGetItem'] }],
};

/** Message records live in the events table. */
export const MESSAGE_STORE: Record<keyof MessageStore, TableUse> = {
  // A lost conditional put reads the record that won.
  createIfAbsent: { actions: ['PutItem', 'GetItem'] },
  createClaimed: { actions: ['PutItem', 'GetItem'] },
  get,
  transition: update,
  listByEvent: query,
  linkProviderId: put,
  findByProviderId: get,
};

/** Forwarding targets live in the tenants table. */
export const TARGET_STORE: Record<keyof TargetStore, TableUse> = {
  listTargets: query,
  getTarget: get,
  putTarget: put,
  deleteTarget: remove,
  disableTarget: update,
};

/** Web console links and sessions live in the tenants table; taking a link is one conditional delete. */
export const CONSOLE_SESSION_STORE: Record<keyof ConsoleSessionStore, TableUse> = {
  putLink: put,
  takeLink: remove,
  putSession: put,
  getSession: get,
  deleteSession: remove,
};

/** Forward delivery records live in the events table, beside the message records. */
export const FORWARD_DELIVERY_STORE: Record<keyof ForwardDeliveryStore, TableUse> = {
  createIfAbsent: { actions: ['PutItem', 'GetItem'] },
  get,
  transition: update,
  listByEvent: query,
};

/** One secret per target under the tenant secrets' prefix (adapters/secrets-manager-target-secrets.ts). */
export const TARGET_SECRET_STORE: Record<keyof TargetSecretStore, readonly string[]> = {
  getTargetSecrets: ['secretsmanager:GetSecretValue'],
  putTargetSecrets: ['secretsmanager:PutSecretValue', 'secretsmanager:CreateSecret'],
  deleteTargetSecrets: ['secretsmanager:DeleteSecret'],
};

export const SECRET_STORE: Record<keyof SecretStore, readonly string[]> = {
  getTenantSecret: ['secretsmanager:GetSecretValue'],
  // What the process already holds: no request.
  peekTenantSecret: [],
  // Put first; create when missing; restore first when a deleted tenant registers again within the recovery window.
  putTenantSecret: ['secretsmanager:PutSecretValue', 'secretsmanager:CreateSecret', 'secretsmanager:RestoreSecret'],
  deleteTenantSecret: ['secretsmanager:DeleteSecret'],
};

/** The queue's calls (its `durable` flag is a property, not a call). */
export const WORK_QUEUE: Record<Exclude<keyof Queue, 'durable'>, readonly string[]> = { enqueue: ['sqs:SendMessage'] };
/** changeVisibility acts on the work queue, deadLetter sends to the dead-letter queue. */
export const QUEUE_CONTROL: Record<keyof QueueControl, readonly string[]> = {
  changeVisibility: ['sqs:ChangeMessageVisibility'],
  deadLetter: ['sqs:SendMessage'],
};

/** The port methods one caller uses. */
export interface PortUse {
  readonly tenants?: readonly (keyof TenantStore)[];
  readonly events?: readonly (keyof EventStore)[];
  readonly search?: readonly (keyof EventSearch)[];
  readonly messages?: readonly (keyof MessageStore)[];
  readonly secrets?: readonly (keyof SecretStore)[];
  readonly queue?: readonly (keyof typeof WORK_QUEUE)[];
  readonly targets?: readonly (keyof TargetStore)[];
  readonly deliveries?: readonly (keyof ForwardDeliveryStore)[];
  readonly targetSecrets?: readonly (keyof TargetSecretStore)[];
  readonly sessions?: readonly (keyof ConsoleSessionStore)[];
}

/**
 * What each function's code calls (lambdas/core, through the wiring in lambdas/<fn>/deps.ts). The worker also
 * consumes the work queue through its event source and uses QueueControl; both are granted in lib/processing.ts.
 */
export const FUNCTION_USES: Record<ReceiverFunctionKey, PortUse> = {
  // Authenticate (one key lookup), look for the same body in the previous dedup window, store the event (or send
  // it whole to the queue when the table refuses it), enqueue it. A duplicate SMS Bridge arrival of a Web hook's
  // event adds the SMS channel to it. A keyless Fineract 1.5–1.6 Web hook at the root reads the tenant's allow-list
  // from its enrollment.
  ingest: {
    tenants: ['getApiKey', 'getEnrollment'],
    events: ['get', 'putIfAbsent', 'addSmsChannel'],
    queue: ['enqueue'],
  },
  // Enrollment check, registration lease, tenant config, a new API key (older ones expire), the tenant secret.
  register: {
    tenants: [
      'getEnrollment',
      'acquireLock',
      'releaseLock',
      'getTenant',
      'putTenant',
      'putApiKey',
      'listApiKeys',
      'expireApiKey',
      // Expired and revoked keys are deleted; the enrollment is used up by the first (or a replacing) registration.
      'deleteApiKey',
      'putEnrollment',
    ],
    // getTenantSecret: an aws tenant proves itself by the Fineract credentials it stored (registration.ts).
    secrets: ['getTenantSecret', 'putTenantSecret'],
  },
  // The old bridge's API: configuration (GET, DELETE with its keys and secret), event listing and _resend.
  admin: {
    tenants: ['getApiKey', 'getTenant', 'listApiKeys', 'deleteApiKey', 'deleteTenant', 'getTemplates', 'putTemplate'],
    events: ['get', 'listByTenant', 'update'],
    messages: ['listByEvent', 'transition'],
    secrets: ['deleteTenantSecret'],
    queue: ['enqueue'],
    // The forwarding tenant API (tenant-api.ts).
    targets: ['listTargets', 'getTarget', 'putTarget', 'deleteTarget', 'disableTarget'],
    // transition: `_resend` re-opens failed forward deliveries.
    deliveries: ['listByEvent', 'transition'],
    // GET /tenants/{t}/events?clientId=…|phone=… (event-search.ts).
    search: ['findByIds', 'findByPhoneHash'],
    targetSecrets: ['getTargetSecrets', 'putTargetSecrets', 'deleteTargetSecrets'],
    // The web console: its session (a link is used up by a conditional delete), templates, disabling a target.
    sessions: ['takeLink', 'putSession', 'getSession', 'deleteSession'],
  },
  // The tenant's Twilio token checks the signature; the status lands on the message record. No tenants table.
  // Africa's Talking reports name their own message id: findByProviderId maps it to ours. AWS SMS events (SNS)
  // carry ours in their context.
  twilioStatus: {
    messages: ['get', 'transition', 'findByProviderId'],
    secrets: ['peekTenantSecret', 'getTenantSecret'],
  },
  worker: {
    tenants: ['getTenant', 'getTemplates', 'markCredentialsInvalid'],
    // putIfAbsent: an event that ingest could only queue is stored by the worker. claim reads and claims at once.
    events: ['claim', 'get', 'putIfAbsent', 'update'],
    // createClaimed: the message record is created already `sending` (delivery.ts).
    // linkProviderId: an Africa's Talking message id → ours, for its delivery reports.
    messages: ['createClaimed', 'createIfAbsent', 'get', 'transition', 'linkProviderId'],
    secrets: ['getTenantSecret'],
    // Forwarding (lambdas/core/forward.ts): targets, their delivery records and signing secrets.
    targets: ['listTargets', 'disableTarget'],
    deliveries: ['createIfAbsent', 'get', 'transition', 'listByEvent'],
    targetSecrets: ['getTargetSecrets'],
  },
  sweeper: { events: ['listDue', 'update'], queue: ['enqueue'] },
};

/** Table uses of a caller, per table: tenants, and events (events and message records share it). */
export function tableUses(use: PortUse): { tenants: TableUse[]; events: TableUse[] } {
  return {
    tenants: [
      ...(use.tenants ?? []).map((method) => TENANT_STORE[method]),
      ...(use.targets ?? []).map((method) => TARGET_STORE[method]),
      ...(use.sessions ?? []).map((method) => CONSOLE_SESSION_STORE[method]),
    ],
    events: [
      ...(use.events ?? []).flatMap((method) => EVENT_STORE[method]),
      ...(use.search ?? []).flatMap((method) => EVENT_SEARCH[method]),
      ...(use.messages ?? []).map((method) => MESSAGE_STORE[method]),
      ...(use.deliveries ?? []).map((method) => FORWARD_DELIVERY_STORE[method]),
    ],
  };
}

export function secretActions(use: PortUse): string[] {
  return unique([
    ...(use.secrets ?? []).flatMap((method) => SECRET_STORE[method]),
    ...(use.targetSecrets ?? []).flatMap((method) => TARGET_SECRET_STORE[method]),
  ]);
}

export function queueActions(use: PortUse): string[] {
  return unique((use.queue ?? []).flatMap((method) => WORK_QUEUE[method]));
}

export function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)].sort();
}
