/**
 * One Updater per asset kind (helm, kubernetes, docker), named in one map in ./index.ts.
 * The workflow (src/orchestrator/run-update.ts) drives them through the journaled state machine:
 *   validate → prepare (facts = undo plan, journaled with `applying`) → apply → verify → (rollback) → cleanup
 */
import type { Asset, HealthStatus } from '../core/model.js';

export interface UpdateTarget {
  version: string;
  digest?: string;
}

export interface ProgressReporter {
  (message: string): void;
}

export interface UpdateContext {
  signal?: AbortSignal;
  progress?: ProgressReporter;
  /** Verification deadline for this update. */
  timeoutMs: number;
}

export interface DryRunResult {
  /** Human-readable description of what would change (a diff for Helm). */
  summary: string;
  diff?: string;
}

export interface Updater {
  readonly kind: Asset['kind'];
  /** Re-reads the live asset; throws NotFoundError when it is gone. */
  refresh(asset: Asset): Promise<Asset>;
  /** Checks the target exists and the change can be carried; throws with the reason when not. */
  validate(asset: Asset, target: UpdateTarget, ctx: UpdateContext): Promise<void>;
  /** What is needed to undo the change; journaled before apply. */
  prepare(asset: Asset, target: UpdateTarget, ctx: UpdateContext): Promise<Record<string, unknown>>;
  dryRun(asset: Asset, target: UpdateTarget, ctx: UpdateContext): Promise<DryRunResult>;
  apply(
    asset: Asset,
    target: UpdateTarget,
    facts: Record<string, unknown>,
    ctx: UpdateContext,
  ): Promise<void>;
  /** Watches the new version until healthy, failed or the deadline; fails fast on a definite signal. */
  verify(
    asset: Asset,
    target: UpdateTarget,
    facts: Record<string, unknown>,
    ctx: UpdateContext,
  ): Promise<HealthStatus>;
  /** Puts back what `facts` describe. */
  rollback(asset: Asset, facts: Record<string, unknown>, ctx: UpdateContext): Promise<void>;
  /** After success: remove what was kept for rollback (old Docker container). */
  cleanup?(asset: Asset, facts: Record<string, unknown>, ctx: UpdateContext): Promise<void>;
  /**
   * Where the live asset stands relative to an interrupted record (used by start-up reconciliation):
   * 'target' when the new version is in place, 'previous' when the old one is, 'unknown' otherwise.
   */
  locate(
    asset: Asset,
    target: UpdateTarget,
    facts: Record<string, unknown>,
  ): Promise<'target' | 'previous' | 'unknown'>;
}
