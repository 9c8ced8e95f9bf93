import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type GlobalSecondaryIndexProps,
  type ITable,
  ProjectionType,
  Table,
  TableEncryption,
  type TableProps,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { EVENTS_BY_TENANT_INDEX, EVENTS_DUE_INDEX } from './access';
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
 * are the ones it kept, and deleting this stack leaves it alone again.
 */
function attachTable(scope: Construct, id: string, tableName: string, indexNames: string[]): ReceiverTable {
  const table = Table.fromTableAttributes(scope, id, { tableName, globalIndexes: indexNames });
  return Object.assign(table, { indexNames: indexNames as readonly string[] });
}

/**
 * Both tables: on-demand, PITR, TTL on `ttl`, AWS-managed encryption; retained and deletion-protected by default
 * (they are the record), or re-attached by name after a stack delete.
 */
export class Storage extends Construct {
  readonly tenants: ReceiverTable;
  readonly events: ReceiverTable;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const common: TableProps = {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'ttl',
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy,
      // Retained tables also refuse a DeleteTable from anyone; with removalPolicy=destroy the stack must delete them.
      deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
    };

    this.tenants = props.tenantsTableName
      ? attachTable(this, 'TenantsTable', props.tenantsTableName, [])
      : new IndexedTable(this, 'TenantsTable', common);

    if (props.eventsTableName) {
      this.events = attachTable(this, 'EventsTable', props.eventsTableName, [EVENTS_BY_TENANT_INDEX, EVENTS_DUE_INDEX]);
      return;
    }
    const events = new IndexedTable(this, 'EventsTable', common);
    this.events = events;
    // A tenant's events, newest first (admin listing, resend).
    events.addGlobalSecondaryIndex({
      indexName: 'byTenantTime',
      partitionKey: { name: 'gsi1pk', type: AttributeType.STRING },
      sortKey: { name: 'gsi1sk', type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
    // Sparse list of events not yet final; ALL because the sweeper re-enqueues from the item without a second read.
    events.addGlobalSecondaryIndex({
      indexName: 'byDue',
      partitionKey: { name: 'duePk', type: AttributeType.STRING },
      sortKey: { name: 'dueAt', type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
  }
}
