import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { TenantStore } from '../core/ports';
import type { ApiKeyRecord, Enrollment, TenantConfig } from '../core/model';
import { isConditionFailed } from './dynamodb-client';
import { PK, SK, TTL, tenantPk } from './table-schema';

/**
 * The tenants table (layout in table-schema.ts). Key lookups are a GetItem on (tenant, hash): a key of another
 * tenant simply is not there.
 */

function strip<T>(item: Record<string, unknown> | undefined): T | undefined {
  if (!item) return undefined;
  const { [PK]: _pk, [SK]: _sk, [TTL]: _ttl, ...rest } = item;
  return rest as T;
}

export class DynamoDbTenantStore implements TenantStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async getApiKey(tenantId: string, keyHash: string): Promise<ApiKeyRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { [PK]: tenantPk(tenantId), [SK]: `KEY#${keyHash}` } }),
    );
    return strip<ApiKeyRecord>(out.Item);
  }

  async putApiKey(record: ApiKeyRecord): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          [PK]: tenantPk(record.tenantId),
          [SK]: `KEY#${record.keyHash}`,
          ...record,
          [TTL]: ttlOf(record.expiresAt),
        },
      }),
    );
  }

  async listApiKeys(tenantId: string): Promise<ApiKeyRecord[]> {
    return this.queryPrefix<ApiKeyRecord>(tenantId, 'KEY#');
  }

  async expireApiKey(tenantId: string, keyHash: string, expiresAt: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { [PK]: tenantPk(tenantId), [SK]: `KEY#${keyHash}` },
          UpdateExpression: 'SET expiresAt = :e, #ttl = :t',
          // Never extend a key that already expires sooner.
          ConditionExpression: `attribute_exists(${PK}) AND (attribute_not_exists(expiresAt) OR expiresAt > :e)`,
          ExpressionAttributeNames: { '#ttl': TTL },
          ExpressionAttributeValues: { ':e': expiresAt, ':t': ttlOf(expiresAt) },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }

  async deleteApiKey(tenantId: string, keyHash: string): Promise<void> {
    await this.doc.send(
      new DeleteCommand({ TableName: this.table, Key: { [PK]: tenantPk(tenantId), [SK]: `KEY#${keyHash}` } }),
    );
  }

  async getTenant(tenantId: string): Promise<TenantConfig | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: { [PK]: tenantPk(tenantId), [SK]: 'CONFIG' },
        ConsistentRead: true,
      }),
    );
    return strip<TenantConfig>(out.Item);
  }

  async putTenant(config: TenantConfig): Promise<void> {
    await this.doc.send(
      new PutCommand({ TableName: this.table, Item: { [PK]: tenantPk(config.tenantId), [SK]: 'CONFIG', ...config } }),
    );
  }

  async deleteTenant(tenantId: string): Promise<void> {
    await this.doc.send(
      new DeleteCommand({ TableName: this.table, Key: { [PK]: tenantPk(tenantId), [SK]: 'CONFIG' } }),
    );
  }

  async markCredentialsInvalid(tenantId: string, at: string, registrationId: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { [PK]: tenantPk(tenantId), [SK]: 'CONFIG' },
          UpdateExpression: 'SET credentialsInvalidAt = :at',
          // A registration that replaced the credentials meanwhile must not be marked.
          ConditionExpression: 'registrationId = :r',
          ExpressionAttributeValues: { ':at': at, ':r': registrationId },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }

  async listTenants(): Promise<TenantConfig[]> {
    const items: TenantConfig[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new ScanCommand({
          TableName: this.table,
          FilterExpression: `${SK} = :c`,
          ExpressionAttributeValues: { ':c': 'CONFIG' },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) items.push(strip<TenantConfig>(item)!);
      start = out.LastEvaluatedKey;
    } while (start);
    return items.sort((a, b) => a.tenantId.localeCompare(b.tenantId));
  }

  async getEnrollment(tenantId: string): Promise<Enrollment | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: { [PK]: tenantPk(tenantId), [SK]: 'ENROLL' },
        ConsistentRead: true,
      }),
    );
    return strip<Enrollment>(out.Item);
  }

  async putEnrollment(enrollment: Enrollment): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: { [PK]: tenantPk(enrollment.tenantId), [SK]: 'ENROLL', ...enrollment },
      }),
    );
  }

  async deleteEnrollment(tenantId: string): Promise<void> {
    await this.doc.send(
      new DeleteCommand({ TableName: this.table, Key: { [PK]: tenantPk(tenantId), [SK]: 'ENROLL' } }),
    );
  }

  async acquireLock(name: string, owner: string, leaseUntil: string, now: string): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { [PK]: `LOCK#${name}`, [SK]: 'LOCK', owner, leaseUntil, [TTL]: ttlOf(leaseUntil, 3600) },
          ConditionExpression: `attribute_not_exists(${PK}) OR leaseUntil < :now`,
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { [PK]: `LOCK#${name}`, [SK]: 'LOCK' },
          ConditionExpression: '#o = :o',
          ExpressionAttributeNames: { '#o': 'owner' },
          ExpressionAttributeValues: { ':o': owner },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }

  async getTemplates(tenantId: string): Promise<Record<string, string>> {
    const items = await this.queryPrefix<{ key: string; template: string }>(tenantId, 'TPL#');
    return Object.fromEntries(items.map((i) => [i.key, i.template]));
  }

  async putTemplate(tenantId: string, key: string, template: string): Promise<void> {
    await this.doc.send(
      new PutCommand({ TableName: this.table, Item: { [PK]: tenantPk(tenantId), [SK]: `TPL#${key}`, key, template } }),
    );
  }

  async deleteTemplate(tenantId: string, key: string): Promise<void> {
    await this.doc.send(
      new DeleteCommand({ TableName: this.table, Key: { [PK]: tenantPk(tenantId), [SK]: `TPL#${key}` } }),
    );
  }

  private async queryPrefix<T>(tenantId: string, prefix: string): Promise<T[]> {
    const items: T[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: `${PK} = :pk AND begins_with(${SK}, :p)`,
          ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':p': prefix },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) items.push(strip<T>(item)!);
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }
}

/** DynamoDB TTL is epoch seconds; an hour of slack keeps expired keys readable for audit a little longer. */
function ttlOf(iso: string | undefined, slackSeconds = 3600): number | undefined {
  if (!iso) return undefined;
  return Math.floor(Date.parse(iso) / 1000) + slackSeconds;
}
