/**
 * The parts of the Twilio SDK the SMS sender uses (twilio-sms-sender.ts), in one module. A Lambda bundle leaves it
 * out and the stack builds it as a file of its own beside the function's index.js (lib/bundling.ts SIDE_BUNDLES):
 * the sender requires it on the first Twilio call, so a cold start neither compiles nor runs Twilio, axios and
 * their dependencies (~430 KB minified) until a tenant sends with Twilio. Locally it is an ordinary module.
 */
export { default as BaseTwilio } from 'twilio/lib/base/BaseTwilio';
export { default as Domain } from 'twilio/lib/base/Domain';
export { default as RequestClient } from 'twilio/lib/base/RequestClient';
export { default as RestException } from 'twilio/lib/base/RestException';
export { default as TwilioServiceException } from 'twilio/lib/base/TwilioServiceException';
export { default as Version } from 'twilio/lib/base/Version';
export { MessageListInstance } from 'twilio/lib/rest/api/v2010/account/message';
