/**
 * The EventBridge client and PutEvents, in one module that the Lambda bundles leave out and the stack builds as a
 * file of its own (lib/bundling.ts SIDE_BUNDLES), required when a container forwards its first event to a bus.
 * Reached by a dynamic import inside the function's bundle instead, the client's whole package (~44 KB) would be
 * compiled at every cold start.
 */
export { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
