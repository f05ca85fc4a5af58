/**
 * Rollback decisions, pure: whether a health verdict calls for a rollback, whether a target is a version
 * that already failed here, and whether the rollbacks in the window amount to a loop.
 */
import type { HealthStatus } from '../core/model.js';
import type { FailedVersion } from '../state/types.js';
import type { UpdateTarget } from '../updaters/types.js';

export interface RollbackLimits {
  /** This many automatic rollbacks within `windowMs` pause the asset (default 3 in 1 h). */
  maxRollbacks: number;
  windowMs: number;
}

export const DEFAULT_ROLLBACK_LIMITS: RollbackLimits = { maxRollbacks: 3, windowMs: 60 * 60 * 1000 };

/** Only a proven-healthy update stays; degraded at the end of verification is not proof. */
export function shouldRollback(health: HealthStatus): boolean {
  return health.verdict !== 'healthy';
}

/**
 * The remembered failure that forbids `target`, if any. A tag whose digest changed since it failed is a
 * new build (a newer version appeared) and is allowed again.
 */
export function rememberedFailure(
  failed: readonly FailedVersion[],
  target: UpdateTarget,
): FailedVersion | undefined {
  return failed.find(
    (entry) =>
      entry.version === target.version &&
      (entry.digest === null || target.digest === undefined || entry.digest === target.digest),
  );
}

export function isRollbackLoop(rollbacksInWindow: number, limits: RollbackLimits): boolean {
  return rollbacksInWindow >= limits.maxRollbacks;
}

export function windowStart(now: Date, limits: RollbackLimits): Date {
  return new Date(now.getTime() - limits.windowMs);
}

export function describeLoop(rollbacksInWindow: number, limits: RollbackLimits): string {
  const minutes = Math.round(limits.windowMs / 60_000);
  return `rollback loop: ${rollbacksInWindow} rollbacks within ${minutes} min (limit ${limits.maxRollbacks})`;
}
