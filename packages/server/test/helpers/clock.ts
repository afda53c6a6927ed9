import type { Clock } from '../../src/clock.js';

/** Tests move time instead of sleeping. */
export class ManualClock implements Clock {
  constructor(private current = Date.UTC(2026, 0, 15, 9, 30, 0)) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }

  advanceSeconds(s: number): void {
    this.current += s * 1000;
  }
}
