import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ForwardTarget } from '../core/model';
import type { TargetStore } from '../core/ports';
import { isConditionFailed } from './dynamodb-client';
import { PK, SK, targetSk, tenantPk } from './table-schema';

/** A tenant's forwarding targets in the tenants table (`TARGET#{targetId}`, layout in table-schema.ts). */
export class DynamoDbTargetStore implements TargetStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async listTargets(tenantId: string): Promise<ForwardTarget[]> {
    const targets: ForwardTarget[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: `${PK} = :pk AND begins_with(${SK}, :p)`,
          ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':p': targetSk('') },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) targets.push(strip(item));
      start = out.LastEvaluatedKey;
    } while (start);
    return targets;
  }

  async getTarget(tenantId: string, targetId: string): Promise<ForwardTarget | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: { [PK]: tenantPk(tenantId), [SK]: targetSk(targetId) },
        ConsistentRead: true,
      }),
    );
    return out.Item ? strip(out.Item) : undefined;
  }

  async putTarget(target: ForwardTarget): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: { [PK]: tenantPk(target.tenantId), [SK]: targetSk(target.targetId), ...target },
      }),
    );
  }

  async deleteTarget(tenantId: string, targetId: string): Promise<void> {
    await this.doc.send(
      new DeleteCommand({ TableName: this.table, Key: { [PK]: tenantPk(tenantId), [SK]: targetSk(targetId) } }),
    );
  }

  async disableTarget(tenantId: string, targetId: string, reason: string, at: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { [PK]: tenantPk(tenantId), [SK]: targetSk(targetId) },
          UpdateExpression: 'SET #status = :disabled, #reason = :reason, #updatedAt = :at',
          ConditionExpression: `attribute_exists(${PK})`,
          ExpressionAttributeNames: { '#status': 'status', '#reason': 'disabledReason', '#updatedAt': 'updatedAt' },
          ExpressionAttributeValues: { ':disabled': 'disabled', ':reason': reason, ':at': at },
        }),
      );
    } catch (error) {
      // Deleted meanwhile: nothing left to disable.
      if (!isConditionFailed(error)) throw error;
    }
  }
}

function strip(item: Record<string, unknown>): ForwardTarget {
  const { [PK]: _pk, [SK]: _sk, ...rest } = item;
  return rest as unknown as ForwardTarget;
}
