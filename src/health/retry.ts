/**
 * Retries for health checks: exponential backoff with full jitter (AWS Architecture Blog, "Exponential
 * Backoff And Jitter": sleep = random(0, min(cap, base * 2^attempt))), so many checks started by one rollout
 * do not hammer a recovering service in lock-step. Only transient failures are retried; a definite wrong
 * answer ends the retries at once, because asking again cannot change it.
 */
import type { Clock } from '../core/clock.js';

export interface CheckSuccess {
  ok: true;
  message: string;
}

export interface CheckFailure {
  ok: false;
  /** True when asking again may give another answer (connection refused, timeout, 5xx, 429). */
  transient: boolean;
  message: string;
}

export type CheckOutcome = CheckSuccess | CheckFailure;

export interface RetryOptions {
  /** Further attempts after the first one. */
  retries: number;
  /** The first backoff bound in ms; doubled on each attempt. */
  baseDelayMs: number;
  /** The largest backoff bound in ms. */
  maxDelayMs: number;
  clock: Clock;
  /** Returns [0, 1); injected so tests can pin the jitter. */
  random?: () => number;
  signal?: AbortSignal;
  /** No attempt starts after this moment. */
  deadline?: Date;
}

export interface RetryResult {
  outcome: CheckOutcome;
  attempts: number;
}

/** The full-jitter backoff before retry number `attempt` (0 for the first retry). */
export function backoffDelay(
  attempt: number,
  options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>,
): number {
  const bound = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
  return Math.floor((options.random ?? Math.random)() * bound);
}

/** Runs `attempt` until it succeeds, fails permanently, the retries are spent or the deadline passes. */
export async function retryCheck(
  attempt: () => Promise<CheckOutcome>,
  options: RetryOptions,
): Promise<RetryResult> {
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const outcome = await attempt();
    if (outcome.ok || !outcome.transient || attempts > options.retries) return { outcome, attempts };
    const delay = backoffDelay(attempts - 1, options);
    if (options.deadline && options.clock.now().getTime() + delay >= options.deadline.getTime()) {
      return { outcome, attempts };
    }
    if (options.signal?.aborted) return { outcome, attempts };
    await options.clock.sleep(delay, options.signal);
  }
}
