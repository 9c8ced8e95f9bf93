import type { Clock } from '../../lambdas/core/ports';

/** Where every fake clock starts unless a test says otherwise: a fixed morning, far from any DST change. */
export const CLOCK_START = '2024-10-24T09:00:00.000Z';

/** The one clock tests move by hand. Nothing in it reads the wall clock. */
export class FakeClock implements Clock {
  private ms: number;

  constructor(start: string | Date | number = CLOCK_START) {
    this.ms = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.ms);
  }

  /** Epoch milliseconds, bound: hand it to adapters that take `now: () => number`. */
  readonly nowMs = (): number => this.ms;

  iso(): string {
    return this.now().toISOString();
  }

  set(at: string | Date | number): void {
    this.ms = new Date(at).getTime();
  }

  advanceSeconds(seconds: number): void {
    this.ms += seconds * 1000;
  }

  advanceMs(ms: number): void {
    this.ms += ms;
  }
}
