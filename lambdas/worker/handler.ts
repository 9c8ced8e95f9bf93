import { createWorkBatchHandler, type WorkBatchDeps } from '../adapters/sqs-batch-handler';
import { awsLambda } from '../wiring/aws/lambda';
import { workerDeps } from '../wiring/aws/worker';

/** Work messages from SQS: build and send the SMS of one stored event each, or schedule its retry. */
export const makeHandler = (getDeps: () => WorkBatchDeps) => createWorkBatchHandler(getDeps);

export const handler = awsLambda(makeHandler, workerDeps);
