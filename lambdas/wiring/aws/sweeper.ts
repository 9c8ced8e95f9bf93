import { readSettings } from '../../core/settings';
import type { SweeperDeps } from '../../core/sweeper';
import { createStores } from '../stores';
import { awsDataProtection } from './data-key';
import { basePorts, createFunctionDocumentClient, createSqsQueue, type LambdaObservability } from './lambda';

export function sweeperDeps(observability: LambdaObservability, env = process.env): SweeperDeps {
  const settings = readSettings(env, { require: ['EVENTS_TABLE', 'QUEUE_URL'] });
  return {
    ...basePorts(observability, settings),
    events: createStores(createFunctionDocumentClient('sweeper'), settings, awsDataProtection('sweeper', settings))
      .events,
    queue: createSqsQueue('sweeper', settings.queueUrl),
  };
}
