import type { RemovalPolicy } from 'aws-cdk-lib';
import {
  type Attribute,
  AttributeType,
  BillingMode,
  type GlobalSecondaryIndexProps,
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

export interface StorageProps {
  readonly removalPolicy: RemovalPolicy;
}

/** Both tables: on-demand, PITR, TTL, AWS-managed encryption; retained by default (they are the record). */
export class Storage extends Construct {
  readonly tenants: IndexedTable;
  readonly events: IndexedTable;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    this.tenants = indexedTable(this, 'TenantsTable', TENANTS_TABLE, props.removalPolicy);
    this.events = indexedTable(this, 'EventsTable', EVENTS_TABLE, props.removalPolicy);
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
  });
  for (const index of schema.indexes) {
    table.addGlobalSecondaryIndex({
      indexName: index.indexName,
      partitionKey: attribute(index.partitionKey),
      sortKey: attribute(index.sortKey),
      projectionType: ProjectionType[index.projection],
    });
  }
  return table;
}
