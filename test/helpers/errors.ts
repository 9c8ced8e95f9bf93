/** What a call threw; fails the test when it returned normally. */
export function thrownBy(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw, it returned normally');
}

/**
 * What a promise rejected with; fails the test when it resolved. With `type`, a rejection of any other kind is
 * rethrown, so the test sees the unexpected error itself rather than a failed property check.
 */
export async function rejectionOf<E = unknown>(
  promise: Promise<unknown>,
  type?: abstract new (...args: never[]) => E,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    if (type && !(error instanceof type)) throw error;
    return error as E;
  }
  throw new Error('expected the promise to reject, it resolved');
}
