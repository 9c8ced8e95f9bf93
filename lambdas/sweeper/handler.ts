import { type SweepResult, type SweeperDeps, sweep } from '../core/sweeper';
import { awsLambda } from '../wiring/aws/lambda';
import { sweeperDeps } from '../wiring/aws/sweeper';

/** Scheduled: re-enqueues events stored but never dispatched, and reports how many it found. */
export const makeHandler = (getDeps: () => SweeperDeps) => async (): Promise<SweepResult> => sweep(getDeps());

export const handler = awsLambda(makeHandler, sweeperDeps);
