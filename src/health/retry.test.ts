import { describe, expect, it } from 'vitest';
import { SteppingClock } from '../../test/support/stepping-clock.js';
import { ManualClock } from '../core/clock.js';
import { backoffDelay, retryCheck, type CheckOutcome } from './retry.js';

function steppingClock(): { clock: SteppingClock; manual: ManualClock; sleeps: number[] } {
  const clock = new SteppingClock();
  return { clock, manual: clock.manual, sleeps: clock.sleeps };
}

const transient: CheckOutcome = { ok: false, transient: true, message: 'connection refused' };
const permanent: CheckOutcome = { ok: false, transient: false, message: 'status 404' };
const ok: CheckOutcome = { ok: true, message: 'status 200' };

function scripted(outcomes: CheckOutcome[]): { attempt: () => Promise<CheckOutcome>; calls: () => number } {
  let calls = 0;
  return {
    attempt: () => {
      const outcome = outcomes[Math.min(calls, outcomes.length - 1)] as CheckOutcome;
      calls += 1;
      return Promise.resolve(outcome);
    },
    calls: () => calls,
  };
}

describe('backoffDelay', () => {
  it('draws from [0, min(cap, base * 2^attempt)) — full jitter', () => {
    const options = { baseDelayMs: 100, maxDelayMs: 1_000 };
    expect(backoffDelay(0, { ...options, random: () => 0.999 })).toBe(99);
    expect(backoffDelay(2, { ...options, random: () => 0.5 })).toBe(200);
    expect(backoffDelay(10, { ...options, random: () => 0.5 })).toBe(500);
    expect(backoffDelay(3, { ...options, random: () => 0 })).toBe(0);
  });

  it('stays within its bound for any random draw', () => {
    for (let attempt = 0; attempt < 8; attempt += 1) {
      const delay = backoffDelay(attempt, { baseDelayMs: 50, maxDelayMs: 2_000 });
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(Math.min(2_000, 50 * 2 ** attempt));
    }
  });
});

describe('retryCheck', () => {
  it('retries transient failures with growing backoff until one succeeds', async () => {
    const { clock, sleeps } = steppingClock();
    const check = scripted([transient, transient, ok]);
    const result = await retryCheck(check.attempt, {
      retries: 5,
      baseDelayMs: 100,
      maxDelayMs: 10_000,
      clock,
      random: () => 0.5,
    });
    expect(result).toEqual({ outcome: ok, attempts: 3 });
    expect(sleeps).toEqual([50, 100]);
  });

  it('stops at once on a permanent failure: asking again cannot change a definite answer', async () => {
    const { clock, sleeps } = steppingClock();
    const check = scripted([permanent, ok]);
    const result = await retryCheck(check.attempt, {
      retries: 5,
      baseDelayMs: 100,
      maxDelayMs: 1_000,
      clock,
    });
    expect(result.outcome).toEqual(permanent);
    expect(check.calls()).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('gives up after the configured retries with the last failure', async () => {
    const { clock } = steppingClock();
    const check = scripted([transient]);
    const result = await retryCheck(check.attempt, { retries: 3, baseDelayMs: 10, maxDelayMs: 100, clock });
    expect(result).toEqual({ outcome: transient, attempts: 4 });
  });

  it('starts no attempt past the deadline', async () => {
    const { clock, manual } = steppingClock();
    const check = scripted([transient]);
    const deadline = new Date(manual.now().getTime() + 1_000);
    const result = await retryCheck(check.attempt, {
      retries: 100,
      baseDelayMs: 400,
      maxDelayMs: 400,
      clock,
      random: () => 0.99,
      deadline,
    });
    expect(result.attempts).toBe(3);
    expect(manual.now().getTime()).toBeLessThan(deadline.getTime());
  });

  it('waits on the clock between attempts (nothing happens until it is advanced)', async () => {
    const manual = new ManualClock();
    const check = scripted([transient, ok]);
    const pending = retryCheck(check.attempt, {
      retries: 1,
      baseDelayMs: 1_000,
      maxDelayMs: 1_000,
      clock: manual,
      random: () => 0.5,
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(check.calls()).toBe(1);
    manual.advance(499);
    await new Promise((resolve) => setImmediate(resolve));
    expect(check.calls()).toBe(1);
    manual.advance(1);
    expect((await pending).outcome).toEqual(ok);
    expect(check.calls()).toBe(2);
  });
});
