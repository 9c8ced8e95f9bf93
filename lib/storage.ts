import type { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type GlobalSecondaryIndexProps,
  ProjectionType,
  Table,
  TableEncryption,
  type TableProps,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
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

export interface StorageProps {
  readonly removalPolicy: RemovalPolicy;
}

/** Both tables: on-demand, PITR, TTL on `ttl`, AWS-managed encryption; retained by default (they are the record). */
export class Storage extends Construct {
  readonly tenants: IndexedTable;
  readonly events: IndexedTable;

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
    };

    this.tenants = new IndexedTable(this, 'TenantsTable', common);

    this.events = new IndexedTable(this, 'EventsTable', common);
    // A tenant's events, newest first (admin listing, resend).
    this.events.addGlobalSecondaryIndex({
      indexName: 'byTenantTime',
      partitionKey: { name: 'gsi1pk', type: AttributeType.STRING },
      sortKey: { name: 'gsi1sk', type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
    // Sparse list of events not yet final; ALL because the sweeper re-enqueues from the item without a second read.
    this.events.addGlobalSecondaryIndex({
      indexName: 'byDue',
      partitionKey: { name: 'duePk', type: AttributeType.STRING },
      sortKey: { name: 'dueAt', type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
  }
}
