/** Exit codes of the operator CLI: 0 done, 1 the command failed, 2 it was called wrongly. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Bad usage found after parsing (a flag that does not fit the target, say): exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The command ran and could not do its job (no such event, tenant not registered): exit 1. */
export class CommandFailedError extends Error {
  override name = 'CommandFailedError';
}
