/**
 * The write-ahead update workflow (../shared/DESIGN.md, seed phase-2a-plan.md "Update Workflow"):
 *
 *   queued → validating (updater.validate) → applying (facts = updater.prepare(), journaled WITH this
 *   transition) → updater.apply → verifying (verifier) → succeeded (+cleanup)
 *                                                      → rolling-back → updater.rollback → rolled-back
 *                                                                                        → rollback-failed
 *
 * Every transition is journaled BEFORE the action it announces, under the asset's lease, so a process
 * killed at any point leaves a record that says what may have happened; `settle` is the one engine that
 * drives a record to a terminal state, both for a fresh run and for start-up reconciliation
 * (./reconcile.ts), where `resumed` makes each ambiguous state ask the live asset (updater.locate) first.
 */
import type { Clock } from '../core/clock.js';
import {
  ConflictError,
  NotFoundError,
  PolicyError,
  RollbackFailedError,
  RolledBackError,
  SafeUpdaterError,
  errorMessage,
  isSafeUpdaterError,
} from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { describeVersion, type Asset, type Decision, type HealthStatus } from '../core/model.js';
import { UPDATE_STATES, isTerminal, type UpdateState } from '../core/update-state.js';
import type { Verifier } from '../health/verifier.js';
import type { NotificationEvent, Notifier } from '../notify/notifier.js';
import {
  describeLoop,
  isRollbackLoop,
  rememberedFailure,
  shouldRollback,
  windowStart,
  type RollbackLimits,
} from '../rollback/decide.js';
import type { Journal, TransitionOptions, UpdateOrigin, UpdateRecord } from '../state/types.js';
import type { Updaters } from '../updaters/index.js';
import type {
  DryRunResult,
  ProgressReporter,
  UpdateContext,
  UpdateTarget,
  Updater,
} from '../updaters/types.js';
import { withAssetLease } from './asset-lease.js';

export interface WorkflowDeps {
  journal: Journal;
  updaters: Updaters;
  verifier: Verifier;
  clock: Clock;
  notifier: Notifier;
  /** This process's lease holder name (see processHolder()). */
  holder: string;
  limits: RollbackLimits;
  /** rollback.enabled: false turns a failed verification into rollback-failed without acting. */
  autoRollback?: boolean;
  leaseTtlMs?: number;
  logger?: Logger;
}

export const NON_TERMINAL_STATES: readonly UpdateState[] = UPDATE_STATES.filter(
  (state) => !isTerminal(state),
);

export interface UpdateRequest {
  asset: Asset;
  target: UpdateTarget;
  origin: UpdateOrigin;
  requestedBy: string;
  /** The policy's decision on this target; enforced unless `force`. */
  decision?: Decision;
  /** Skips the policy gates (decision, monitor-only), never the failed-version memory or a pause. */
  force?: boolean;
  /** Tries a version again that failed here before (a person's explicit choice). */
  retryFailed?: boolean;
  dryRun?: boolean;
  /** false: return once applied, leaving the record `verifying` for a later reconcile. */
  wait?: boolean;
  timeoutMs: number;
  signal?: AbortSignal;
  progress?: ProgressReporter;
  /**
   * The id of a `queued` record written earlier (the daemon's queue lives in the journal): this run takes
   * that record instead of creating one, and cancels it, with the reason, when the update must not run.
   */
  queuedId?: string;
}

export interface ManualRollbackRequest {
  asset: Asset;
  /** The version being returned to. */
  target: UpdateTarget;
  /**
   * Facts for updater.rollback that lead to `target` (an earlier record's facts, or { revision: N } for
   * Helm); absent: the target is applied like any version.
   */
  rollbackTo?: Record<string, unknown>;
  origin: UpdateOrigin;
  requestedBy: string;
  timeoutMs: number;
  signal?: AbortSignal;
  progress?: ProgressReporter;
}

export type UpdateOutcome =
  | 'succeeded'
  | 'failed'
  | 'rolled-back'
  | 'rollback-failed'
  | 'cancelled'
  | 'verifying'
  | 'dry-run'
  | 'unchanged';

export interface UpdateResult {
  outcome: UpdateOutcome;
  assetId: string;
  record?: UpdateRecord;
  health?: HealthStatus;
  dryRun?: DryRunResult;
  /** What made it fail, when it failed before verification. */
  error?: unknown;
  /** Set when this run paused the asset. */
  pausedReason?: string;
}

/** What the workflow adds to the updater's facts; the updater ignores it. */
interface WorkflowFacts {
  kind: 'update' | 'manual-rollback';
  rollbackTo?: Record<string, unknown>;
}

export function workflowFacts(record: UpdateRecord): WorkflowFacts {
  const value = record.facts.workflow as Partial<WorkflowFacts> | undefined;
  return value?.kind === 'manual-rollback'
    ? { kind: 'manual-rollback', rollbackTo: value.rollbackTo }
    : { kind: 'update' };
}

interface Flow {
  deps: WorkflowDeps;
  updater: Updater;
  asset: Asset;
  record: UpdateRecord;
  manual: boolean;
  rollbackTo: Record<string, unknown> | undefined;
  ctx: UpdateContext;
  wait: boolean;
  /** The first step asks the live asset where it stands before acting (start-up reconciliation). */
  resumed: boolean;
  /** The live asset is already on the previous version: the rollback has nothing to undo. */
  skipRollbackAction: boolean;
  health?: HealthStatus;
  error?: unknown;
  pausedReason?: string;
}

function targetOf(record: UpdateRecord): UpdateTarget {
  return record.toDigest
    ? { version: record.toVersion, digest: record.toDigest }
    : { version: record.toVersion };
}

function previousOf(record: UpdateRecord): string {
  return describeVersion({ version: record.fromVersion, digest: record.fromDigest ?? undefined });
}

function logger(deps: WorkflowDeps): Logger {
  return deps.logger ?? silentLogger();
}

async function move(flow: Flow, to: UpdateState, options: TransitionOptions = {}): Promise<void> {
  const from = flow.record.state;
  flow.record = await flow.deps.journal.transition(flow.record.id, from, to, options);
  logger(flow.deps).info(
    { updateId: flow.record.id, assetId: flow.asset.id, from, to },
    options.message ?? to,
  );
  flow.ctx.progress?.(`${to}${options.message ? `: ${options.message}` : ''}`);
}

/** An audit event and the matching notification, in one step. */
async function announce(
  flow: Flow,
  event: NotificationEvent | 'asset.paused',
  data: Record<string, unknown> = {},
): Promise<void> {
  const { record } = flow;
  const payload = {
    assetId: record.assetId,
    updateId: record.id,
    from: record.fromVersion,
    to: record.toVersion,
    state: record.state,
    reason: record.reason,
    ...data,
  };
  await flow.deps.journal.audit({
    at: flow.deps.clock.now(),
    assetId: record.assetId,
    updateId: record.id,
    type: event,
    actor: record.requestedBy,
    data: payload,
  });
  if (event !== 'asset.paused') {
    await flow.deps.notifier.notify(event, payload).catch((error: unknown) => {
      logger(flow.deps).warn({ err: error, event }, 'could not queue a notification');
    });
  }
}

async function pause(flow: Flow, reason: string): Promise<void> {
  await flow.deps.journal.setPaused(flow.record.assetId, true, reason, 'safe-updater');
  flow.pausedReason = reason;
  await announce(flow, 'asset.paused', { pausedReason: reason });
}

async function locate(flow: Flow): Promise<'target' | 'previous' | 'unknown'> {
  try {
    return await flow.updater.locate(flow.asset, targetOf(flow.record), flow.record.facts);
  } catch (error) {
    logger(flow.deps).warn({ err: error, assetId: flow.asset.id }, 'could not locate the asset');
    return 'unknown';
  }
}

async function validateAndPrepare(flow: Flow): Promise<void> {
  const target = targetOf(flow.record);
  try {
    if (!flow.rollbackTo) await flow.updater.validate(flow.asset, target, flow.ctx);
    const facts = await flow.updater.prepare(flow.asset, target, flow.ctx);
    const workflow: WorkflowFacts = flow.manual
      ? { kind: 'manual-rollback', ...(flow.rollbackTo ? { rollbackTo: flow.rollbackTo } : {}) }
      : { kind: 'update' };
    await move(flow, 'applying', {
      facts: { ...facts, workflow },
      message: `${flow.manual ? 'rolling back' : 'updating'} ${flow.asset.id} to ${describeVersion(target)}`,
    });
  } catch (error) {
    flow.error = error;
    await move(flow, 'failed', {
      reason: errorMessage(error),
      message: 'validation failed; nothing was changed',
    });
    await announce(flow, 'update.failed');
  }
}

async function act(flow: Flow): Promise<void> {
  if (flow.rollbackTo) await flow.updater.rollback(flow.asset, flow.rollbackTo, flow.ctx);
  else await flow.updater.apply(flow.asset, targetOf(flow.record), flow.record.facts, flow.ctx);
}

async function applyStep(flow: Flow, resumed: boolean): Promise<void> {
  if (resumed) {
    const where = await locate(flow);
    if (where === 'previous') {
      await move(flow, 'failed', {
        reason: 'interrupted before the change took effect',
        message: `found on ${previousOf(flow.record)}; nothing to undo`,
      });
      await announce(flow, 'update.failed');
      return;
    }
    if (where === 'target') {
      await move(flow, 'verifying', { message: 'found on the target version after an interruption' });
      return;
    }
    if (!flow.manual) {
      await move(flow, 'rolling-back', {
        reason: 'interrupted while applying; the asset is in an unknown state',
      });
      return;
    }
  }
  try {
    await act(flow);
  } catch (error) {
    if (flow.ctx.signal?.aborted) throw error;
    flow.error = error;
    const where = await locate(flow);
    if (where === 'previous') {
      await move(flow, 'failed', { reason: errorMessage(error), message: 'the change did not take effect' });
      await announce(flow, 'update.failed');
      return;
    }
    await move(flow, 'rolling-back', { reason: `applying failed: ${errorMessage(error)}` });
    return;
  }
  await move(flow, 'verifying', { message: `applied ${describeVersion(targetOf(flow.record))}` });
}

async function verifyStep(flow: Flow, resumed: boolean): Promise<void> {
  if (resumed && !flow.manual && (await locate(flow)) === 'previous') {
    flow.skipRollbackAction = true;
    await move(flow, 'rolling-back', { reason: 'found on the previous version after an interruption' });
    return;
  }
  const health = await flow.deps.verifier.verify({
    updater: flow.updater,
    asset: flow.asset,
    target: targetOf(flow.record),
    facts: flow.record.facts,
    ctx: flow.ctx,
    full: !flow.manual,
  });
  flow.health = health;
  if (!shouldRollback(health)) {
    await move(flow, 'succeeded', { message: health.message });
    if (flow.manual) {
      await flow.deps.journal.rememberFailedVersion({
        assetId: flow.record.assetId,
        version: flow.record.fromVersion,
        digest: flow.record.fromDigest,
        reason: `manually rolled back by ${flow.record.requestedBy}`,
        at: flow.deps.clock.now(),
      });
      await recordLiveAsset(flow);
      await announce(flow, 'update.manual-rollback');
      return;
    }
    if (flow.updater.cleanup) {
      await flow.updater.cleanup(flow.asset, flow.record.facts, flow.ctx).catch((error: unknown) => {
        logger(flow.deps).warn(
          { err: error, assetId: flow.asset.id },
          'cleanup after a successful update failed',
        );
      });
    }
    await recordLiveAsset(flow);
    await announce(flow, 'update.succeeded', { health: summary(health) });
    return;
  }
  await move(flow, 'rolling-back', {
    reason: health.signal ?? health.message,
    message: `verification failed: ${health.signal ?? health.message}`,
  });
}

/**
 * After a change took effect, the journal's snapshot of the asset (what `status --no-lookup` and the daemon read
 * between scans) is re-read from the live system; otherwise it would show the version from before the update.
 * Best effort: the record is already terminal, and the next scan writes the snapshot anyway.
 */
async function recordLiveAsset(flow: Flow): Promise<void> {
  try {
    const live = await flow.updater.refresh(flow.asset);
    await flow.deps.journal.upsertAssets([live], flow.deps.clock.now());
  } catch (error) {
    logger(flow.deps).warn(
      { err: error, assetId: flow.asset.id },
      'could not re-read the asset after its update',
    );
  }
}

async function rollbackFailed(flow: Flow, why: string): Promise<void> {
  await move(flow, 'rollback-failed', { reason: why, message: why });
  await pause(flow, `rollback failed: ${why}`);
  await announce(flow, 'update.rollback-failed');
}

async function rollbackStep(flow: Flow, resumed: boolean): Promise<void> {
  const failure = flow.record.reason ?? 'verification failed';
  if (flow.manual) {
    // A person chose this version; automation does not undo their choice, it stops and asks for them.
    await rollbackFailed(flow, `manual rollback did not complete: ${failure}`);
    return;
  }
  if (flow.deps.autoRollback === false) {
    await rollbackFailed(flow, `${failure}; automatic rollback is disabled (rollback.enabled: false)`);
    return;
  }
  // An interrupted rollback may have done its work already; a guarded rollback would refuse to redo it.
  if (resumed && (await locate(flow)) === 'previous') flow.skipRollbackAction = true;
  if (!flow.skipRollbackAction) {
    try {
      flow.ctx.progress?.(`rolling back ${flow.asset.id} to ${previousOf(flow.record)}`);
      await flow.updater.rollback(flow.asset, flow.record.facts, flow.ctx);
    } catch (error) {
      if (flow.ctx.signal?.aborted) throw error;
      flow.error = error;
      await rollbackFailed(
        flow,
        `${failure}; rollback to ${previousOf(flow.record)} failed: ${errorMessage(error)}`,
      );
      return;
    }
  }
  await move(flow, 'rolled-back', { reason: failure, message: `back on ${previousOf(flow.record)}` });
  const now = flow.deps.clock.now();
  await flow.deps.journal.rememberFailedVersion({
    assetId: flow.record.assetId,
    version: flow.record.toVersion,
    digest: flow.record.toDigest,
    reason: failure,
    at: now,
  });
  await announce(flow, 'update.rolled-back');
  const rollbacks = await flow.deps.journal.countRollbacksSince(
    flow.record.assetId,
    windowStart(now, flow.deps.limits),
  );
  if (isRollbackLoop(rollbacks, flow.deps.limits)) {
    const reason = describeLoop(rollbacks, flow.deps.limits);
    await pause(flow, reason);
    await announce(flow, 'update.loop-detected', { rollbacks });
  }
}

function summary(health: HealthStatus): Record<string, unknown> {
  return {
    verdict: health.verdict,
    readyReplicas: health.readyReplicas,
    totalReplicas: health.totalReplicas,
    checksPassed: health.checksPassed,
    checksFailed: health.checksFailed,
    signal: health.signal,
  };
}

function resultOf(flow: Flow, outcome?: UpdateOutcome): UpdateResult {
  return {
    outcome: outcome ?? (flow.record.state as UpdateOutcome),
    assetId: flow.asset.id,
    record: flow.record,
    ...(flow.health ? { health: flow.health } : {}),
    ...(flow.error !== undefined ? { error: flow.error } : {}),
    ...(flow.pausedReason ? { pausedReason: flow.pausedReason } : {}),
  };
}

/** Drives a record to a terminal state (or to `verifying` when not waiting). */
async function settle(flow: Flow): Promise<UpdateResult> {
  while (!isTerminal(flow.record.state)) {
    const resumed = flow.resumed;
    flow.resumed = false;
    switch (flow.record.state) {
      case 'queued':
        if (resumed)
          await move(flow, 'cancelled', { message: 'interrupted before validation; nothing was changed' });
        else
          await move(flow, 'validating', { message: `validating ${describeVersion(targetOf(flow.record))}` });
        break;
      case 'validating':
        if (resumed)
          await move(flow, 'cancelled', { message: 'interrupted during validation; nothing was changed' });
        else await validateAndPrepare(flow);
        break;
      case 'applying':
        await applyStep(flow, resumed);
        if ((flow.record.state as UpdateState) === 'verifying' && !flow.wait)
          return resultOf(flow, 'verifying');
        break;
      case 'verifying':
        await verifyStep(flow, resumed);
        break;
      case 'rolling-back':
        await rollbackStep(flow, resumed);
        break;
      default:
        throw new Error(`no step for state ${flow.record.state}`);
    }
  }
  return resultOf(flow);
}

function contextOf(request: {
  timeoutMs: number;
  signal?: AbortSignal;
  progress?: ProgressReporter;
}): UpdateContext {
  return {
    timeoutMs: request.timeoutMs,
    ...(request.signal ? { signal: request.signal } : {}),
    ...(request.progress ? { progress: request.progress } : {}),
  };
}

async function refuseWhenInFlight(deps: WorkflowDeps, assetId: string, own?: string): Promise<void> {
  const open = await deps.journal.listUpdates({ assetId, states: [...NON_TERMINAL_STATES] });
  const first = open.find((record) => record.id !== own);
  if (first) {
    if (first.state === 'queued' && isQueueEntry(first)) {
      throw new ConflictError(`${assetId} has update ${first.id} waiting in the daemon's queue`, {
        hint: `the daemon runs it; \`safe-updater cancel ${first.id}\` takes it out of the queue`,
      });
    }
    throw new ConflictError(`${assetId} has an unfinished update ${first.id} (${first.state})`, {
      hint: 'it is settled on the next start of safe-updater; see `safe-updater history ' + assetId + '`',
    });
  }
}

/** Reasons this update must not run; throws PolicyError with them. */
async function gate(deps: WorkflowDeps, request: UpdateRequest): Promise<void> {
  const { asset, target } = request;
  const row = await deps.journal.getAsset(asset.id);
  if (row?.paused) {
    throw new PolicyError(`${asset.id} is paused: ${row.pausedReason ?? 'no reason given'}`, {
      hint: `look into it, then \`safe-updater resume ${asset.id}\``,
    });
  }
  if (!request.retryFailed) {
    const failed = rememberedFailure(await deps.journal.failedVersions(asset.id), target);
    if (failed) {
      throw new PolicyError(
        `${describeVersion(target)} already failed on ${asset.id} and was rolled back: ${failed.reason}`,
        {
          hint: 'a newer version will be proposed when one appears; --retry-failed tries this one again',
        },
      );
    }
  }
  if (request.force) return;
  if (asset.monitorOnly) {
    throw new PolicyError(
      `${asset.id} is monitor-only: safe-updater reports its updates but never applies them`,
      {
        hint: '--force applies this one anyway',
      },
    );
  }
  if (request.decision && request.decision.verdict !== 'auto') {
    const verb = request.decision.verdict === 'needs-approval' ? 'needs approval' : 'is blocked by policy';
    throw new PolicyError(
      `${asset.id} → ${describeVersion(target)} ${verb}: ${request.decision.reasons.join('; ') || asset.policy}`,
      { hint: '--force skips the policy gates' },
    );
  }
}

function sameVersion(asset: Asset, target: UpdateTarget): boolean {
  if (asset.current.version !== target.version) return false;
  return (
    target.digest === undefined ||
    asset.current.digest === undefined ||
    asset.current.digest === target.digest
  );
}

/** Records the asset's snapshot (for reconciliation) and a new queued record; the flow that drives it. */
async function startFlow(
  deps: WorkflowDeps,
  updater: Updater,
  asset: Asset,
  request: { target: UpdateTarget; origin: UpdateOrigin; requestedBy: string },
  flow: Pick<Flow, 'manual' | 'rollbackTo' | 'ctx' | 'wait'>,
): Promise<Flow> {
  await deps.journal.upsertAssets([asset], deps.clock.now());
  const record = await deps.journal.createUpdate({
    assetId: asset.id,
    assetKind: asset.kind,
    fromVersion: asset.current.version,
    fromDigest: asset.current.digest ?? null,
    toVersion: request.target.version,
    toDigest: request.target.digest ?? null,
    origin: request.origin,
    requestedBy: request.requestedBy,
  });
  return { deps, updater, asset, record, ...flow, resumed: false, skipRollbackAction: false };
}

/** The `facts` key of a record the daemon queued (see src/daemon/queue-store.ts). */
export const QUEUE_FACTS_KEY = 'queue';

/** True for a `queued` record that waits in the daemon's queue (not one a killed CLI left behind). */
export function isQueueEntry(record: UpdateRecord): boolean {
  return typeof record.facts[QUEUE_FACTS_KEY] === 'object' && record.facts[QUEUE_FACTS_KEY] !== null;
}

/**
 * Takes a queued record out of the queue for good, with why, and audits it; undefined when it was not
 * queued any more (started, or cancelled by someone else meanwhile).
 */
export async function cancelQueued(
  journal: Journal,
  clock: Clock,
  id: string,
  reason: string,
  actor: string,
): Promise<UpdateRecord | undefined> {
  let record: UpdateRecord;
  try {
    record = await journal.transition(id, 'queued', 'cancelled', { reason, message: reason });
  } catch (error) {
    if (error instanceof ConflictError) return undefined;
    throw error;
  }
  await journal.audit({
    at: clock.now(),
    assetId: record.assetId,
    updateId: record.id,
    type: 'update.cancelled',
    actor,
    data: { from: record.fromVersion, to: record.toVersion, reason },
  });
  return record;
}

/** `cancel <update-id>` (CLI and API): a queued update leaves the queue; anything else is refused, saying why. */
export async function cancelQueuedUpdate(
  journal: Journal,
  clock: Clock,
  id: string,
  actor: string,
  reason = `cancelled by ${actor}`,
): Promise<UpdateRecord> {
  const record = await journal.getUpdate(id);
  if (!record) {
    throw new NotFoundError(`no update ${id}`, {
      hint: '`safe-updater history ASSET` and GET /api/v1/queue list update ids',
    });
  }
  const cancelled =
    record.state === 'queued' ? await cancelQueued(journal, clock, id, reason, actor) : undefined;
  if (!cancelled) {
    const now = record.state === 'queued' ? 'started meanwhile' : `is ${record.state}`;
    throw new ConflictError(
      `update ${id} of ${record.assetId} ${now}: only a queued update can be cancelled`,
      {
        hint: isTerminal(record.state)
          ? 'it has finished; see `safe-updater history ' + record.assetId + '`'
          : 'a running update ends verified or rolled back; `safe-updater pause ' +
            record.assetId +
            '` stops the next ones',
      },
    );
  }
  return cancelled;
}

/** One update of one asset, from the policy gate to a terminal state (or `verifying` with wait: false). */
export async function runUpdate(deps: WorkflowDeps, request: UpdateRequest): Promise<UpdateResult> {
  const updater = deps.updaters.get(request.asset.kind);
  const ctx = contextOf(request);
  return withAssetLease({ ...deps, ttlMs: deps.leaseTtlMs }, request.asset.id, async () => {
    const queued = request.queuedId ? await deps.journal.getUpdate(request.queuedId) : undefined;
    if (queued && queued.state !== 'queued') {
      // Cancelled (CLI, API) or taken by another replica meanwhile: not ours to run.
      return { outcome: 'cancelled', assetId: request.asset.id, record: queued };
    }
    const drop = async (reason: string): Promise<UpdateRecord | undefined> =>
      queued ? cancelQueued(deps.journal, deps.clock, queued.id, reason, request.requestedBy) : undefined;
    let asset: Asset;
    try {
      await refuseWhenInFlight(deps, request.asset.id, queued?.id);
      asset = await updater.refresh(request.asset);
      await gate(deps, { ...request, asset });
    } catch (error) {
      await drop(errorMessage(error));
      throw error;
    }
    if (sameVersion(asset, request.target)) {
      await drop('already on the target version');
      return { outcome: 'unchanged', assetId: asset.id };
    }
    if (queued && asset.current.version !== queued.fromVersion) {
      const record = await drop(
        `${asset.id} changed from ${queued.fromVersion} to ${asset.current.version} while the update was queued`,
      );
      return { outcome: 'cancelled', assetId: asset.id, ...(record ? { record } : {}) };
    }
    if (request.dryRun) {
      await updater.validate(asset, request.target, ctx);
      const dryRun = await updater.dryRun(asset, request.target, ctx);
      return { outcome: 'dry-run', assetId: asset.id, dryRun };
    }
    const options = { manual: false, rollbackTo: undefined, ctx, wait: request.wait ?? true };
    let flow: Flow;
    if (queued) {
      await deps.journal.upsertAssets([asset], deps.clock.now());
      flow = { deps, updater, asset, record: queued, ...options, resumed: false, skipRollbackAction: false };
    } else {
      flow = await startFlow(deps, updater, asset, request, options);
    }
    await announce(flow, 'update.started', { force: request.force === true });
    return settle(flow);
  });
}

/** A person's rollback: journaled like an update, and its version-left-behind remembered as failed. */
export async function runManualRollback(
  deps: WorkflowDeps,
  request: ManualRollbackRequest,
): Promise<UpdateResult> {
  const updater = deps.updaters.get(request.asset.kind);
  return withAssetLease({ ...deps, ttlMs: deps.leaseTtlMs }, request.asset.id, async () => {
    await refuseWhenInFlight(deps, request.asset.id);
    const asset = await updater.refresh(request.asset);
    const flow = await startFlow(deps, updater, asset, request, {
      manual: true,
      rollbackTo: request.rollbackTo,
      ctx: contextOf(request),
      wait: true,
    });
    return settle(flow);
  });
}

/** Settles an interrupted record (start-up reconciliation); the caller holds the asset's lease. */
export async function resumeUpdate(
  deps: WorkflowDeps,
  record: UpdateRecord,
  asset: Asset,
  request: { timeoutMs: number; signal?: AbortSignal; progress?: ProgressReporter },
): Promise<UpdateResult> {
  const workflow = workflowFacts(record);
  const flow: Flow = {
    deps,
    updater: deps.updaters.get(record.assetKind),
    asset,
    record,
    manual: workflow.kind === 'manual-rollback',
    rollbackTo: workflow.rollbackTo,
    ctx: contextOf(request),
    wait: true,
    resumed: true,
    skipRollbackAction: false,
  };
  return settle(flow);
}

/** The typed error a command throws for a result (exit 3 rolled back, 6 rollback failed, …); none on success. */
export function outcomeError(result: UpdateResult): SafeUpdaterError | undefined {
  const record = result.record;
  const reason = record?.reason ?? result.health?.signal ?? 'no reason recorded';
  switch (result.outcome) {
    case 'succeeded':
    case 'verifying':
    case 'dry-run':
    case 'unchanged':
      return undefined;
    case 'rolled-back':
      return new RolledBackError(
        `${result.assetId}: ${record?.toVersion ?? 'the update'} failed verification and was rolled back to ${record ? previousOf(record) : 'the previous version'}: ${reason}`,
        {
          hint: result.pausedReason
            ? `the asset is now paused (${result.pausedReason}); \`safe-updater resume ${result.assetId}\` after a fix`
            : `the version is remembered as failed; see \`safe-updater history ${result.assetId}\``,
        },
      );
    case 'rollback-failed':
      return new RollbackFailedError(`${result.assetId}: rollback failed: ${reason}`, {
        hint: `the asset is paused; repair it by hand, then \`safe-updater resume ${result.assetId}\``,
      });
    case 'failed':
      if (isSafeUpdaterError(result.error)) return result.error;
      return new SafeUpdaterError(`${result.assetId}: update failed: ${reason}`, { cause: result.error });
    case 'cancelled':
      return new SafeUpdaterError(`${result.assetId}: update cancelled: ${reason}`);
  }
}
