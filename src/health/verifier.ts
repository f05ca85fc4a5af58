/**
 * The verifier: proves an update healthy or names why it is not. It combines the updater's own signals
 * (rollout progress and pod failures for Kubernetes, container state for Docker) with the asset's
 * configured checks:
 *   1. updater.verify watches the rollout and fails fast on a definite signal (e.g. CrashLoopBackOff);
 *   2. the configured checks run once the rollout is healthy, each with retries and backoff;
 *   3. a monitor window (rollback.monitor) re-reads both; a failure inside it still rolls back.
 * Anything that is not healthy at the end is a failure: an update must prove itself, not merely not fail.
 */
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Asset, HealthStatus } from '../core/model.js';
import type { UpdateContext, UpdateTarget, Updater } from '../updaters/types.js';
import { aggregateHealth } from './aggregate.js';
import type { HealthChecker } from './checker.js';

export interface VerifierOptions {
  clock: Clock;
  checker: HealthChecker;
  /** Length of the monitor window after the rollout is healthy (rollback.monitor), ms; 0 for none. */
  monitorMs: number;
  /** Pause between two looks inside the monitor window, ms. */
  monitorIntervalMs?: number;
}

export interface VerifyRequest {
  updater: Updater;
  asset: Asset;
  target: UpdateTarget;
  facts: Record<string, unknown>;
  ctx: UpdateContext;
  /** Run the asset's configured checks and the monitor window (false when confirming a rollback). */
  full: boolean;
}

export interface Verifier {
  verify(request: VerifyRequest): Promise<HealthStatus>;
}

/** One look inside the monitor window is given at most this long: it re-reads state, it does not wait. */
const MONITOR_LOOK_TIMEOUT_MS = 10_000;

function failedStatus(message: string, signal: string): HealthStatus {
  return {
    healthy: false,
    verdict: 'failed',
    readyReplicas: 0,
    totalReplicas: 0,
    healthPercentage: 0,
    checksPassed: [],
    checksFailed: [],
    message,
    signal,
  };
}

/** A status that is not healthy becomes a failure with a signal in words. */
function asFailure(status: HealthStatus, context: string): HealthStatus {
  if (status.verdict === 'healthy') return status;
  const signal = status.signal ?? `${context}: ${status.message}`;
  return { ...status, healthy: false, verdict: 'failed', signal };
}

export function createVerifier(options: VerifierOptions): Verifier {
  const { clock, checker } = options;
  const intervalMs =
    options.monitorIntervalMs ?? Math.max(1_000, Math.min(5_000, Math.floor(options.monitorMs / 3)));

  const updaterSignals = async (request: VerifyRequest, ctx: UpdateContext): Promise<HealthStatus> => {
    try {
      return await request.updater.verify(request.asset, request.target, request.facts, ctx);
    } catch (error) {
      if (ctx.signal?.aborted) throw error;
      const message = `verification could not read the asset: ${errorMessage(error)}`;
      return failedStatus(message, message);
    }
  };

  const look = async (request: VerifyRequest, ctx: UpdateContext, deadline: Date): Promise<HealthStatus> => {
    const base = await updaterSignals(request, ctx);
    if (base.verdict !== 'healthy' || !request.full || request.asset.healthChecks.length === 0) return base;
    const reports = await checker.runAll(request.asset.healthChecks, request.asset, {
      signal: ctx.signal,
      deadline,
    });
    return aggregateHealth(base, reports);
  };

  return {
    async verify(request) {
      const started = clock.now().getTime();
      const deadline = new Date(started + request.ctx.timeoutMs);
      request.ctx.progress?.(`verifying ${request.asset.id} on ${request.target.version}`);
      const first = await look(request, request.ctx, deadline);
      if (first.verdict !== 'healthy') {
        return asFailure(first, `not healthy within ${Math.round(request.ctx.timeoutMs / 1000)} s`);
      }
      if (!request.full || options.monitorMs <= 0) return first;

      request.ctx.progress?.(
        `healthy; monitoring ${request.asset.id} for ${Math.round(options.monitorMs / 1000)} s`,
      );
      const monitorEnd = clock.now().getTime() + options.monitorMs;
      let latest = first;
      for (;;) {
        const remaining = monitorEnd - clock.now().getTime();
        if (remaining <= 0) return latest;
        await clock.sleep(Math.min(intervalMs, remaining), request.ctx.signal);
        const lookTimeout = Math.min(MONITOR_LOOK_TIMEOUT_MS, request.ctx.timeoutMs);
        const lookDeadline = new Date(clock.now().getTime() + lookTimeout);
        latest = await look(request, { ...request.ctx, timeoutMs: lookTimeout }, lookDeadline);
        if (latest.verdict !== 'healthy') return asFailure(latest, 'failed during the monitor window');
      }
    },
  };
}
