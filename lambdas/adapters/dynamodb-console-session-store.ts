import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ConsoleGrant } from '../core/model';
import type { ConsoleSessionStore } from '../core/ports';
import { isConditionFailed } from './dynamodb-client';
import { consolePk, PK, SK, TTL } from './table-schema';

type Kind = 'LINK' | 'SESSION';

/** Web console links and sessions in the tenants table (`CONSOLE#{sha256}`, layout in table-schema.ts). */
export class DynamoDbConsoleSessionStore implements ConsoleSessionStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  putLink(link: ConsoleGrant): Promise<void> {
    return this.put('LINK', link);
  }

  async takeLink(tokenHash: string): Promise<ConsoleGrant | undefined> {
    // One conditional delete both reads and uses up the link: two tabs opening it cannot both get a session.
    try {
      const out = await this.doc.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { [PK]: consolePk(tokenHash), [SK]: 'LINK' },
          ConditionExpression: `attribute_exists(${PK})`,
          ReturnValues: 'ALL_OLD',
        }),
      );
      return out.Attributes ? strip(out.Attributes) : undefined;
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }

  putSession(session: ConsoleGrant): Promise<void> {
    return this.put('SESSION', session);
  }

  async getSession(tokenHash: string): Promise<ConsoleGrant | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: { [PK]: consolePk(tokenHash), [SK]: 'SESSION' },
        ConsistentRead: true,
      }),
    );
    return out.Item ? strip(out.Item) : undefined;
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.doc.send(
      new DeleteCommand({ TableName: this.table, Key: { [PK]: consolePk(tokenHash), [SK]: 'SESSION' } }),
    );
  }

  private async put(kind: Kind, grant: ConsoleGrant): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          [PK]: consolePk(grant.tokenHash),
          [SK]: kind,
          ...grant,
          // Epoch seconds; DynamoDB removes the item some time after it stopped working.
          [TTL]: Math.floor(Date.parse(grant.expiresAt) / 1000) + 3600,
        },
      }),
    );
  }
}

function strip(item: Record<string, unknown>): ConsoleGrant {
  const { [PK]: _pk, [SK]: _sk, [TTL]: _ttl, ...grant } = item;
  return grant as unknown as ConsoleGrant;
}
