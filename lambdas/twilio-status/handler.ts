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

/** The host AWS gives a Lambda function URL: `<url-id>.lambda-url.<region>.on.aws`. */
const FUNCTION_URL_HOST = /^[a-z0-9]+\.lambda-url\.[a-z0-9-]+\.on\.aws$/;

/**
 * The origin a request came in at when it came through the function's own URL, else undefined (API Gateway, or
 * ingest handing on a path variant). `requestContext.domainName` is filled by Lambda from the URL it routed by,
 * not copied from a header the caller chose, so Twilio's signature is checked against the URL Twilio called.
 */
export function functionUrlOrigin(event: APIGatewayProxyEventV2): string | undefined {
  const host = event.requestContext?.domainName;
  return host && FUNCTION_URL_HOST.test(host) ? `https://${host}` : undefined;
}

/**
 * The same function also takes the AWS SMS configuration set's events from SNS (lib/sms-events.ts), and the
 * reports that come through its function URL (lib/api.ts): same payload format 2.0 as API Gateway's, and the
 * route table's matching finds the operation from the path in both cases.
 */
export const makeEventHandler = (getDeps: () => StatusCallbackDeps) => {
  const http = makeHandler(getDeps);
  // Twilio signs the URL it called: through the function URL that is the function URL (the StatusCallback the
  // worker gave), so it is the base the signature is checked against; API Gateway requests keep PUBLIC_BASE_URL.
  // One handler per origin (a function has one URL), built on its first report rather than on each.
  const byOrigin = new Map<string, ReturnType<typeof makeHandler>>();
  const viaFunctionUrl = (origin: string) => {
    let handler = byOrigin.get(origin);
    if (!handler) {
      handler = makeHandler(() => {
        const deps = getDeps();
        return { ...deps, settings: { ...deps.settings, publicBaseUrl: origin } };
      });
      byOrigin.set(origin, handler);
    }
    return handler;
  };
  return async (event: APIGatewayProxyEventV2 | SNSEvent) => {
    if (!('Records' in event)) {
      const origin = functionUrlOrigin(event);
      return origin ? viaFunctionUrl(origin)(event) : http(event);
    }
    const deps = getDeps();
    // A throw makes Lambda retry the notification; a report about an unknown message is dropped inside.
    for (const record of event.Records) await handleAwsSmsEvent(record.Sns.Message, deps);
  };
};

export const handler = awsLambda(makeEventHandler, twilioStatusDeps);
