/**
 * The real Lambda handlers (each function's `makeHandler`, as the AWS and local composition roots use it) wired
 * to DynamoDB stores on the embedded engine (real SDK), a file secret store on a temp dir, and tiny fakes where a
 * fake is all a port needs (a queue that records, a URL policy that accepts, a settable clock).
 */
import { noPhoneHashing } from '../../lambdas/adapters/data-protection';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { FileSecretStore } from '../../lambdas/adapters/local/file-secret-store';
import { noMetrics } from '../../lambdas/adapters/observability';
import { OutboxSmsSender } from '../../lambdas/adapters/local/outbox-sms-sender';
import { makeHandler as makeAdminHandler } from '../../lambdas/admin/handler';
import { DynamoDbConsoleSessionStore } from '../../lambdas/adapters/dynamodb-console-session-store';
import type { AdminFunctionDeps } from '../../lambdas/core/console-api';
import { DynamoDbForwardDeliveryStore } from '../../lambdas/adapters/dynamodb-message-store';
import { DynamoDbTargetStore } from '../../lambdas/adapters/dynamodb-target-store';
import { HttpForwarder } from '../../lambdas/adapters/http-forwarder';
import { MemoryEventBus } from '../helpers/memory-ports';
import { Authenticator, issueApiKey } from '../../lambdas/core/api-keys';
import type { IngestDeps } from '../../lambdas/core/ingest';
import type { EventStore, SmsSender } from '../../lambdas/core/ports';
import type { RegisterDeps } from '../../lambdas/core/registration';
import { makeHandler as makeIngestHandler } from '../../lambdas/ingest/handler';
import { makeHandler as makeRegisterHandler } from '../../lambdas/register/handler';
import { routeOf, toApiGatewayEvent } from '../helpers/apigw-events';
import type { TestDynamo, TestStores } from '../helpers/dynamo';
import { type Delivery, loadDelivery } from '../helpers/fixtures';
import { CapturingLogger } from '../helpers/capturing-logger';
import { FakeClock } from '../helpers/fake-clock';
import { MemoryQueue } from '../helpers/memory-queue';
import { StubUrlPolicy } from '../helpers/stub-url-policy';

export const MAX_BODY_BYTES = 1024 * 1024;

export interface Result {
  statusCode: number;
  headers: Record<string, string>;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: unknown;
  /** API Gateway v2's Set-Cookie list. */
  cookies?: string[];
}

export interface Harness {
  stores: TestStores;
  queue: MemoryQueue;
  clock: FakeClock;
  logger: CapturingLogger;
  secrets: FileSecretStore;
  sms: SmsSender;
  /** Registration checks endpoints with DNS in AWS; here every endpoint is accepted and recorded. */
  urlPolicy: StubUrlPolicy;
  dataDir: string;
  /** Swap the events store the ingest function sees (fault injection). */
  useEvents(events: EventStore): void;
  ingest(event: APIGatewayProxyEventV2): Promise<Result>;
  register(event: APIGatewayProxyEventV2): Promise<Result>;
  admin(event: APIGatewayProxyEventV2): Promise<Result>;
  /** Invokes the function API Gateway would route this event to (ingest for `$default`). */
  invoke(event: APIGatewayProxyEventV2): Promise<Result>;
  /** Registers a tenant with a registration fixture; returns the issued key. */
  registerTenant(tenantId?: string, fixture?: string): Promise<string>;
  /** Just a key for a tenant (what `cli tenants create` gives a Web hook), without the registration handshake. */
  issueKey(tenantId: string): Promise<string>;
  close(): Promise<void>;
}

function toResult(out: APIGatewayProxyStructuredResultV2): Result {
  const text = typeof out.body === 'string' ? out.body : '';
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return {
    statusCode: out.statusCode ?? 200,
    headers: (out.headers ?? {}) as Record<string, string>,
    text,
    json,
    ...(out.cookies ? { cookies: out.cookies } : {}),
  };
}

/** A registration fixture for another tenant (same credentials, different `tenantId`). */
export function registrationFor(tenantId: string, fixture = 'mifosx-sms-registration'): Delivery {
  const delivery = loadDelivery(fixture);
  const body = JSON.parse(delivery.body) as Record<string, unknown>;
  return { ...delivery, body: JSON.stringify({ ...body, tenantId }) };
}

export async function startHarness(
  dynamo: TestDynamo,
  options: { sms?: SmsSender; label?: string } = {},
): Promise<Harness> {
  const stores = await dynamo.createStores(options.label ?? 'handler');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'fhr-handler-'));
  const queue = new MemoryQueue();
  const clock = new FakeClock('2024-10-24T09:12:34.000Z');
  const logger = new CapturingLogger();
  const secrets = new FileSecretStore({ dataDir });
  const sms = options.sms ?? new OutboxSmsSender({ dataDir });
  const urlPolicy = new StubUrlPolicy();
  const common = { clock, logger, metrics: noMetrics };
  let events: EventStore = stores.events;

  // A fresh Authenticator per invocation is what a cold container has; no cache hides a store change.
  const ingestDeps = (): IngestDeps => ({
    ...common,
    auth: new Authenticator(stores.tenants, clock, 0),
    events,
    queue,
    settings: { maxBodyBytes: MAX_BODY_BYTES, sweepGraceSeconds: 300 },
  });
  const registerDeps = (): RegisterDeps => ({
    ...common,
    tenants: stores.tenants,
    secrets,
    sms,
    urlPolicy,
    auth: new Authenticator(stores.tenants, clock, 0),
    settings: { openEnrollment: true, keyGraceSeconds: 3600 },
    sleep: async () => {},
  });
  const targets = new DynamoDbTargetStore(dynamo.doc, stores.tables.tenantsTable);
  const deliveries = new DynamoDbForwardDeliveryStore(dynamo.doc, stores.tables.eventsTable);
  const adminDeps = (): AdminFunctionDeps => ({
    ...common,
    auth: new Authenticator(stores.tenants, clock, 0),
    tenants: stores.tenants,
    events,
    messages: stores.messages,
    secrets,
    queue,
    settings: { sweepGraceSeconds: 300, allowPrivateEndpoints: true },
    targets,
    targetSecrets: secrets,
    deliveries,
    webhooks: new HttpForwarder({ allowPrivate: true, timeoutMs: 2000 }),
    bus: new MemoryEventBus(),
    search: stores.events,
    phones: noPhoneHashing,
    sessions: new DynamoDbConsoleSessionStore(dynamo.doc, stores.tables.tenantsTable),
    consoleAssets: { get: () => undefined },
  });

  const ingestHandler = makeIngestHandler(ingestDeps);
  const registerHandler = makeRegisterHandler(registerDeps);
  const adminHandler = makeAdminHandler(adminDeps);

  const harness: Harness = {
    stores,
    queue,
    clock,
    logger,
    secrets,
    sms,
    urlPolicy,
    dataDir,
    useEvents(store) {
      events = store;
    },
    ingest: async (event) => toResult(await ingestHandler(event)),
    register: async (event) => toResult(await registerHandler(event)),
    admin: async (event) => toResult(await adminHandler(event)),
    async invoke(event) {
      const { fn } = routeOf(event.requestContext.http.method, event.rawPath);
      if (fn === 'register') return harness.register(event);
      if (fn === 'admin') return harness.admin(event);
      if (fn === 'ingest') return harness.ingest(event);
      throw new Error(`no ${fn} function in this harness`);
    },
    async registerTenant(tenantId = 'default', fixture = 'mifosx-sms-registration') {
      const result = await harness.register(toApiGatewayEvent(registrationFor(tenantId, fixture)));
      if (result.statusCode !== 201 || typeof result.json !== 'string') {
        throw new Error(`registration of ${tenantId} failed: ${result.statusCode} ${result.text}`);
      }
      return result.json;
    },
    async issueKey(tenantId) {
      return (await issueApiKey(stores.tenants, clock, tenantId, { graceSeconds: 0, label: 'test' })).key;
    },
    async close() {
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}
