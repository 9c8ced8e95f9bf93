import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DataProtection } from '../adapters/data-protection';
import { createDocumentClient } from '../adapters/dynamodb-client';
import { DynamoDbConsoleSessionStore } from '../adapters/dynamodb-console-session-store';
import { DynamoDbEventStore } from '../adapters/dynamodb-event-store';
import { DynamoDbForwardDeliveryStore, DynamoDbMessageStore } from '../adapters/dynamodb-message-store';
import { DynamoDbTargetStore } from '../adapters/dynamodb-target-store';
import { DynamoDbTenantStore } from '../adapters/dynamodb-tenant-store';
import type { EmbeddedDynamoDb } from '../adapters/local/embedded-dynamodb';
import type {
  ConsoleSessionStore,
  EventStore,
  ForwardDeliveryStore,
  MessageStore,
  TargetStore,
  TenantStore,
} from '../core/ports';
import type { Settings } from '../core/settings';

/** The DynamoDB stores, the same in every runtime: only the document client behind them differs. */
export interface Stores {
  tenants: TenantStore;
  events: EventStore;
  messages: MessageStore;
}

/** Forwarding targets (tenants table) and forward delivery records (events table): apart, so ingest's bundle lacks them. */
export interface ForwardStores {
  targets: TargetStore;
  deliveries: ForwardDeliveryStore;
}

/** `protection` seals numbers and bodies at rest (every runtime passes one; tests of other concerns may not). */
export function createStores(
  doc: DynamoDBDocumentClient,
  settings: Pick<Settings, 'tenantsTable' | 'eventsTable' | 'eventRetentionDays'>,
  protection?: DataProtection,
): Stores & { search: DynamoDbEventStore } {
  const events = new DynamoDbEventStore(doc, settings.eventsTable, settings.eventRetentionDays, protection);
  return {
    tenants: new DynamoDbTenantStore(doc, settings.tenantsTable),
    events,
    search: events,
    messages: new DynamoDbMessageStore(doc, settings.eventsTable, settings.eventRetentionDays, protection),
  };
}

export function createForwardStores(
  doc: DynamoDBDocumentClient,
  settings: Pick<Settings, 'tenantsTable' | 'eventsTable'>,
): ForwardStores {
  return {
    targets: new DynamoDbTargetStore(doc, settings.tenantsTable),
    deliveries: new DynamoDbForwardDeliveryStore(doc, settings.eventsTable),
  };
}

/** The web console's sign-in links and sessions (tenants table): the admin function and the CLI only. */
export function createConsoleSessionStore(
  doc: DynamoDBDocumentClient,
  settings: Pick<Settings, 'tenantsTable'>,
): ConsoleSessionStore {
  return new DynamoDbConsoleSessionStore(doc, settings.tenantsTable);
}

/**
 * A document client for the embedded engine (local server and `cli --local`): any credentials will do. With the
 * engine's in-process handler (same process) requests skip the loopback socket; without it they go over HTTP.
 * `scope` names the requests in the bench's count (request-counter.ts).
 */
export function createLocalDocumentClient(
  endpoint: string,
  requestHandler?: EmbeddedDynamoDb['requestHandler'],
  scope?: string,
): DynamoDBDocumentClient {
  return createDocumentClient(
    {
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      ...(requestHandler ? { requestHandler } : {}),
    },
    scope,
  );
}
