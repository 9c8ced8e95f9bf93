import { WORKER_RUN_SECONDS } from '../../lambdas/core/lifecycle';
import { WORKER_TIMEOUT } from '../../lib/processing';

describe('the worker run the claim allows for', () => {
  test('is no shorter than the worker function’s timeout (a kept due time must outlast any run)', () => {
    // Prepare
    const timeout = WORKER_TIMEOUT.toSeconds();

    // Act
    const allowed = WORKER_RUN_SECONDS;

    // Assess
    expect(allowed).toBeGreaterThanOrEqual(timeout);
  });
});
