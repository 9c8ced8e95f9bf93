import { RemovalPolicy } from 'aws-cdk-lib';
import {
  type Attribute,
  AttributeType,
  BillingMode,
  type GlobalSecondaryIndexProps,
  type ITable,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import {
  EVENTS_TABLE,
  type KeyAttribute,
  type KeyAttributeType,
  TENANTS_TABLE,
  type TableSchema,
} from '../lambdas/adapters/table-schema';
import type { BindableTable } from './hook-function';

/** A Table that remembers its GSI names, so grants can list each index ARN instead of `index/*`. */
export class IndexedTable extends Table implements BindableTable {
  private readonly gsiNames: string[] = [];

  get indexNames(): readonly string[] {
    return this.gsiNames;
  }

  override addGlobalSecondaryIndex(props: GlobalSecondaryIndexProps): void {
    super.addGlobalSecondaryIndex(props);
    this.gsiNames.push(props.indexName);
  }
}

/** A table the functions can be bound to: created by this stack, or a retained one re-attached by name. */
export type ReceiverTable = ITable & BindableTable;

export interface StorageProps {
  readonly removalPolicy: RemovalPolicy;
  /** Re-attach these retained tables (left behind by a deleted stack) instead of creating new ones. */
  readonly tenantsTableName?: string;
  readonly eventsTableName?: string;
}

/**
 * A retained table used by name. The stack does not own it: its settings (PITR, TTL, deletion protection, indexes)
 * are the ones it kept, and deleting this stack leaves it alone again. An events table must have this build's
 * layout (v2, table-schema.ts: per-event partition keys, indexes byTenantTimeV2 and byDueV2); one left by an
 * earlier build has the v1 layout and cannot be re-attached.
 */
function attachTable(scope: Construct, id: string, tableName: string, schema: TableSchema): ReceiverTable {
  const indexNames = schema.indexes.map((index) => index.indexName);
  const table = Table.fromTableAttributes(scope, id, { tableName, globalIndexes: indexNames });
  return Object.assign(table, { indexNames: indexNames as readonly string[] });
}

/**
 * Both tables: on-demand, PITR, TTL on `ttl`, AWS-managed encryption; retained and deletion-protected by default
 * (they are the record), or re-attached by name after a stack delete. Keys and indexes come from table-schema.ts.
 * CloudFormation cannot change an existing index's keys or projection, and adds or removes one index per update:
 * that is why a changed index gets a new name, and why the events table of layout v1 is replaced, not updated.
 */
export class Storage extends Construct {
  readonly tenants: ReceiverTable;
  readonly events: ReceiverTable;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    this.tenants = props.tenantsTableName
      ? attachTable(this, 'TenantsTable', props.tenantsTableName, TENANTS_TABLE)
      : indexedTable(this, 'TenantsTable', TENANTS_TABLE, props.removalPolicy);
    this.events = props.eventsTableName
      ? attachTable(this, 'EventsTable', props.eventsTableName, EVENTS_TABLE)
      : indexedTable(this, 'EventsTable', EVENTS_TABLE, props.removalPolicy);
  }
}

const ATTRIBUTE_TYPE: Record<KeyAttributeType, AttributeType> = {
  S: AttributeType.STRING,
  N: AttributeType.NUMBER,
  B: AttributeType.BINARY,
};

const attribute = (key: KeyAttribute): Attribute => ({ name: key.name, type: ATTRIBUTE_TYPE[key.type] });

function indexedTable(scope: Construct, id: string, schema: TableSchema, removalPolicy: RemovalPolicy): IndexedTable {
  const table = new IndexedTable(scope, id, {
    partitionKey: attribute(schema.partitionKey),
    sortKey: attribute(schema.sortKey),
    billingMode: BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: schema.ttlAttribute,
    encryption: TableEncryption.AWS_MANAGED,
    removalPolicy,
    // Retained tables also refuse a DeleteTable from anyone; with removalPolicy=destroy the stack must delete them.
    deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
  });
  for (const index of schema.indexes) {
    table.addGlobalSecondaryIndex({
      indexName: index.indexName,
      partitionKey: attribute(index.partitionKey),
      sortKey: attribute(index.sortKey),
      projectionType: ProjectionType[index.projection.type],
      nonKeyAttributes: index.projection.type === 'INCLUDE' ? [...index.projection.attributes] : undefined,
    });
  }
  return table;
}
