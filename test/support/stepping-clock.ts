/**
 * A ManualClock whose sleeps move it forward at once: unit tests of retries, monitor windows and
 * deadlines run in no real time while every delay is still recorded and visible to now().
 */
import { ManualClock, type Clock } from '../../src/core/clock.js';

export class SteppingClock implements Clock {
  readonly manual: ManualClock;
  readonly sleeps: number[] = [];
  constructor(start?: Date) {
    this.manual = new ManualClock(start);
  }
  now(): Date {
    return this.manual.now();
  }
  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    const slept = this.manual.sleep(ms);
    this.manual.advance(ms);
    return slept;
  }
}
