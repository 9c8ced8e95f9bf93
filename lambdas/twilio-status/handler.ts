import { createHttpHandler } from '../adapters/http-handler';
import { handleTwilioStatus, type StatusCallbackDeps } from '../core/status-callback';
import { awsLambda } from '../wiring/aws/lambda';
import { twilioStatusDeps } from '../wiring/aws/twilio-status';

/** Twilio delivery reports: signature checked, then the message record's status updated. */
export const makeHandler = (getDeps: () => StatusCallbackDeps) =>
  createHttpHandler(getDeps, (d) => ({ twilioStatus: (request) => handleTwilioStatus(request, d) }));

export const handler = awsLambda(makeHandler, twilioStatusDeps);
