/**
 * The AWS End User Messaging SMS client and the commands aws-sms-sender.ts sends, in one module that the Lambda
 * bundles leave out and the stack builds as a file of its own (lib/bundling.ts SIDE_BUNDLES), required on a
 * container's first AWS SMS call. Reached by a dynamic import inside the function's bundle instead, the client's
 * whole package (every command's schema, ~74 KB) would be compiled at every cold start.
 */
export {
  DescribePhoneNumbersCommand,
  DescribePoolsCommand,
  DescribeSenderIdsCommand,
  PinpointSMSVoiceV2Client,
  SendTextMessageCommand,
} from '@aws-sdk/client-pinpoint-sms-voice-v2';
