import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { countRequests } from './request-counter';

/**
 * One document client per container; `AWS_ENDPOINT_URL_DYNAMODB` redirects it to a local engine. `scope` names the
 * function using it in the request counts (request-counter.ts).
 */
export function createDocumentClient(config: DynamoDBClientConfig = {}, scope?: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(countRequests(new DynamoDBClient(config), 'DynamoDB', scope), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    unmarshallOptions: { wrapNumbers: false },
  });
}

export function isConditionFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
