import type { APIGatewayProxyEventV2, SNSEvent } from 'aws-lambda';
import { createHttpHandler } from '../adapters/http-handler';
import { handleAfricasTalkingStatus, handleAwsSmsEvent } from '../core/provider-status';
import { handleTwilioStatus, type StatusCallbackDeps } from '../core/status-callback';
import { awsLambda } from '../wiring/aws/lambda';
import { twilioStatusDeps } from '../wiring/aws/twilio-status';

/** Delivery reports over HTTP: Twilio's (signature checked) and Africa's Talking's, onto the message record. */
export const makeHandler = (getDeps: () => StatusCallbackDeps) =>
  createHttpHandler(getDeps, (d) => ({
    twilioStatus: (request) => handleTwilioStatus(request, d),
    africastalkingStatus: (request) => handleAfricasTalkingStatus(request, d),
  }));

/** The same function also takes the AWS SMS configuration set's events from SNS (lib/sms-events.ts). */
export const makeEventHandler = (getDeps: () => StatusCallbackDeps) => {
  const http = makeHandler(getDeps);
  return async (event: APIGatewayProxyEventV2 | SNSEvent) => {
    if (!('Records' in event)) return http(event);
    const deps = getDeps();
    // A throw makes Lambda retry the notification; a report about an unknown message is dropped inside.
    for (const record of event.Records) await handleAwsSmsEvent(record.Sns.Message, deps);
  };
};

export const handler = awsLambda(makeEventHandler, twilioStatusDeps);
