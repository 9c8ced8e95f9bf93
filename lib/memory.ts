/**
 * Memory per function, in MB. Lambda gives CPU in proportion to memory, and a request-bound function spends most
 * of its time waiting on DynamoDB, so ingest, admin, status callbacks and the sweeper take the small size; the
 * worker and registration load the Twilio SDK and make outbound HTTPS calls, so they keep 512 MB. The price effect
 * is shown by `npm run bench` (bench/README.md, "Cost per event").
 */
export const FUNCTION_MEMORY_MB = {
  ingest: 256,
  register: 512,
  admin: 256,
  twilioStatus: 256,
  worker: 512,
  sweeper: 256,
} as const;

export type FunctionName = keyof typeof FUNCTION_MEMORY_MB;
