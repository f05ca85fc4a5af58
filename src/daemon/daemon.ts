/**
 * The daemon (`safe-updater watch`): the long-running loop that composes the orchestrator (queue, leader
 * election, the update workflow), the HTTP server and notification delivery. Everything is handed in
 * (`DaemonDeps`), so the CLI wires configuration into it and tests can drive it with fakes.
 *
 * Only the leader acts: on becoming leader it reconciles interrupted updates, then runs a cycle at once
 * and every `intervalMs` (± jitter). A cycle: expire overdue approvals → scan (discovery, lookups,
 * decisions) → `auto` decisions are queued; `needs-approval` ones get an approval request (one pending per
 * asset and version) and run once it is approved. Registry webhooks ask for a check of the matched assets
 * at once (a scan limited to them). Abort the signal to stop: nothing new is taken, running updates are
 * aborted (the workflow leaves a journaled state that the next start reconciles), the lease is released.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { ConflictError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Asset, Decision } from '../core/model.js';
import { describeVersion } from '../core/model.js';
import type { Deliverer } from '../notify/deliver.js';
import type { NotificationEvent } from '../notify/notifier.js';
import { QueueScheduler, UpdateQueue, type SettledItem } from '../orchestrator/queue.js';
import type { LeaderElector } from '../orchestrator/leader.js';
import { LEASE_HELD, reconcile } from '../orchestrator/reconcile.js';
import {
  NON_TERMINAL_STATES,
  cancelQueued,
  isQueueEntry,
  runUpdate,
  type UpdateResult,
  type WorkflowDeps,
} from '../orchestrator/run-update.js';
import type { ImagePushed } from '../server/registry-events.js';
import { recordFinishedUpdate, type DaemonMetrics } from '../server/metrics.js';
import type { ScanReport } from '../scan/scan.js';
import type { Journal, UpdateRecord } from '../state/types.js';
import type { PollSchedule } from '../policy/poll-schedule.js';
import { itemFromRecord, queueFacts, sameTarget, type DaemonItem } from './queue-store.js';

export type { DaemonItem } from './queue-store.js';

export interface DaemonDeps {
  journal: Journal;
  clock: Clock;
  logger: Logger;
  workflow: WorkflowDeps;
  /** One scan: discovery, lookups and decisions; `select` limits it to some assets (webhook checks). */
  scan(options: { signal: AbortSignal; select?: (asset: Asset) => boolean }): Promise<ScanReport>;
  /** The asset's priority for the queue (discovery's priorityOf). */
  priorityOf?: (asset: Asset, decision: Decision) => number;
  /** Asset ids an asset depends on (Docker's depends-on label, safe-updater.io/depends-on), among `known`. */
  dependsOn?: (asset: Asset, known: readonly Asset[]) => string[];
  /**
   * The asset's own poll schedule (keel.sh/pollSchedule, safe-updater.io/poll-schedule, its policy's
   * `schedule`); absent or undefined: it is looked up at every interval. A throw is logged, the interval used.
   */
  pollScheduleOf?: (asset: Asset) => PollSchedule | undefined;
  /** Null when the asset may start an update now, otherwise why not (its policy's windows). */
  windowGate?: (asset: Asset, now: Date) => string | null;
  /** Which assets a registry push concerns (server/registry-events.ts assetsForPush). */
  assetsForPush?: (push: ImagePushed, assets: readonly Asset[]) => Asset[];
  /** Absent: this process always leads (a single `watch --once`). */
  elector?: LeaderElector;
  metrics?: DaemonMetrics;
  deliverer?: Deliverer;
}

export interface DaemonOptions {
  intervalMs: number;
  /** 0..1: each interval is intervalMs · (1 ± jitter·random). */
  jitter: number;
  /** One cycle, wait for its updates, return. */
  once?: boolean;
  maxConcurrent: number;
  /** Updates in flight at once within one namespace; unlimited when absent. */
  maxConcurrentPerNamespace?: number;
  /** Rollout/verification deadline of each update (rollback.timeout). */
  updateTimeoutMs: number;
  /** How long an approval request stays open. */
  approvalTimeoutMs: number;
  /** How often a gated (window-closed) queue is looked at again. */
  gatePollMs?: number;
  /** How soon an interrupted record whose asset lease looked held is tried again (default 10 s). */
  settleRetryMs?: number;
}

export interface CycleSummary {
  trigger: 'start' | 'interval' | 'webhook' | 'schedule';
  assets: number;
  problems: number;
  lookupFailures: number;
  enqueued: string[];
  approvalsRequested: string[];
}

export interface DaemonResult {
  cycles: number;
  /** Terminal outcomes of the updates this process ran. */
  results: UpdateResult[];
  /** Items that did not run to an outcome (skipped, cancelled, threw), with why. */
  unsettled: { assetId: string; outcome: string; reason: string | null }[];
  /** The last cycle's scan: problems and failed lookups. */
  lastCycle?: CycleSummary;
}

/** The handle the CLI gives the HTTP server. */
export interface DaemonControl {
  scheduler: QueueScheduler<DaemonItem>;
  isLeader(): boolean;
  /** Schedules an immediate check of the assets a push concerns; returns the known ones among them. */
  onImagePushed(push: ImagePushed): string[];
  /** Wakes the loop for a full cycle (after an approval). */
  wake(): void;
  /** Forgets a queued update that was cancelled in the journal (API, CLI). */
  forget(updateId: string): void;
}

const ACTOR = 'daemon';
/** How soon an interrupted record whose asset lease looked held is looked at again. */
const SETTLE_RETRY_MS = 10_000;

export function jittered(intervalMs: number, jitter: number, random: () => number = Math.random): number {
  const spread = intervalMs * Math.min(Math.max(jitter, 0), 1);
  return Math.max(1_000, Math.round(intervalMs - spread + 2 * spread * random()));
}

/**
 * Builds the daemon; `control` is available at once (for the HTTP server), `run(signal)` runs it until the
 * signal aborts (or one cycle with `once`).
 */
export function createDaemon(
  deps: DaemonDeps,
  options: DaemonOptions,
): { control: DaemonControl; run(signal: AbortSignal): Promise<DaemonResult> } {
  const log = deps.logger;
  const result: DaemonResult = { cycles: 0, results: [], unsettled: [] };
  const stop = new AbortController();
  let knownAssets: Asset[] = [];
  /** When each asset with a poll schedule of its own is due again (epoch ms). */
  const dueAt = new Map<string, number>();
  const scheduleWarnings = new Set<string>();

  function scheduleOf(asset: Asset): PollSchedule | undefined {
    try {
      return deps.pollScheduleOf?.(asset);
    } catch (error) {
      if (!scheduleWarnings.has(asset.id)) {
        scheduleWarnings.add(asset.id);
        log.warn({ assetId: asset.id }, `${errorMessage(error)}; looked up at every interval instead`);
      }
      return undefined;
    }
  }

  /** After a look-up of these assets: when each with a schedule of its own is due again (with jitter). */
  function planNextLookups(assets: readonly Asset[]): void {
    const now = deps.clock.now();
    for (const asset of assets) {
      const schedule = scheduleOf(asset);
      if (!schedule) {
        dueAt.delete(asset.id);
        continue;
      }
      const gap = Math.max(0, schedule.next(now).getTime() - now.getTime());
      dueAt.set(asset.id, now.getTime() + jittered(gap, options.jitter));
    }
  }

  /** In a regular check: assets without a schedule of their own, and those whose schedule is due. */
  function dueNow(asset: Asset): boolean {
    const due = dueAt.get(asset.id);
    return due === undefined || due <= deps.clock.now().getTime();
  }
  /** Registry pushes not yet checked; their check matches them against a fresh discovery. */
  const pendingPushes: ImagePushed[] = [];
  let fullCycleWanted = true;
  let wakeUp: (() => void) | undefined;
  let reconciled = false;

  const wake = (): void => {
    const resolve = wakeUp;
    wakeUp = undefined;
    resolve?.();
  };

  const isLeader = (): boolean => deps.elector?.isLeader() ?? true;
  const windowGate = deps.windowGate;

  const run = async (item: DaemonItem, signal: AbortSignal): Promise<'succeeded' | 'failed'> => {
    log.info(
      {
        assetId: item.assetId,
        to: describeVersion(item.target),
        updateType: item.decision.candidate.updateType,
      },
      `updating ${item.assetId} to ${describeVersion(item.target)}`,
    );
    const outcome = await runUpdate(deps.workflow, {
      asset: item.asset,
      target: item.target,
      origin: 'daemon',
      requestedBy: item.approvalId ? `${ACTOR} (approval ${item.approvalId})` : ACTOR,
      decision: item.decision,
      timeoutMs: options.updateTimeoutMs,
      signal,
      wait: true,
      queuedId: item.id,
    });
    result.results.push(outcome);
    if (outcome.record && deps.metrics) recordFinishedUpdate(deps.metrics, outcome.record);
    log.info(
      { assetId: item.assetId, outcome: outcome.outcome, updateId: outcome.record?.id },
      `${item.assetId}: ${outcome.outcome}`,
    );
    return outcome.outcome === 'succeeded' || outcome.outcome === 'unchanged' ? 'succeeded' : 'failed';
  };

  const scheduler = new QueueScheduler<DaemonItem>(
    new UpdateQueue({
      maxConcurrent: options.maxConcurrent,
      ...(options.maxConcurrentPerNamespace ? { perNamespace: options.maxConcurrentPerNamespace } : {}),
    }),
    {
      run,
      clock: deps.clock,
      pollMs: options.gatePollMs ?? 30_000,
      signal: stop.signal,
      ...(windowGate ? { gate: (item, now) => windowGate(item.asset, now) } : {}),
      onSettled: (settled: SettledItem<DaemonItem>) => {
        if (settled.outcome === 'succeeded') return;
        // A stopping daemon leaves its queue in the journal for the next leader; anything else that did
        // not run (a failed dependency, a cycle, a refusal before the workflow took the record) is
        // cancelled there too, with why, so the record does not block the asset's next update.
        if (!(settled.outcome === 'cancelled' && stop.signal.aborted)) {
          track(
            cancelQueued(deps.journal, deps.clock, settled.item.id, settled.reason ?? settled.outcome, ACTOR),
          );
        }
        const ran = result.results.some((r) => r.assetId === settled.item.assetId && r.record);
        if (settled.outcome === 'failed' && ran) return;
        if (settled.reason && !(settled.outcome === 'cancelled' && stop.signal.aborted)) {
          log.warn(
            { assetId: settled.item.assetId, outcome: settled.outcome },
            `${settled.item.assetId}: ${settled.reason}`,
          );
        }
        result.unsettled.push({
          assetId: settled.item.assetId,
          outcome: settled.outcome,
          reason: settled.reason,
        });
      },
    },
  );

  /** Journal writes started from synchronous callbacks; awaited before the daemon returns. */
  const writes = new Set<Promise<unknown>>();
  function track(write: Promise<unknown>): void {
    const tracked = write
      .catch((error: unknown) => {
        log.error({ err: error }, `journal write failed: ${errorMessage(error)}`);
      })
      .finally(() => writes.delete(tracked));
    writes.add(tracked);
  }

  async function expireApprovals(): Promise<void> {
    const now = deps.clock.now();
    for (const approval of await deps.journal.listApprovals({ state: 'pending' })) {
      if (approval.deadline && approval.deadline.getTime() <= now.getTime()) {
        await deps.journal.decideApproval(approval.id, 'expired', ACTOR, 'deadline passed');
        log.info({ assetId: approval.assetId, approvalId: approval.id }, `approval ${approval.id} expired`);
      }
    }
  }

  async function notify(event: NotificationEvent, payload: Record<string, unknown>): Promise<void> {
    await deps.workflow.notifier.notify(event, payload).catch((error: unknown) => {
      log.warn({ err: error, event }, `could not queue a notification: ${errorMessage(error)}`);
    });
  }

  /**
   * A version it may not apply (monitor-only, blocked by policy) is announced once, not at each check: the
   * audit trail remembers it, so a restart or another replica does not announce it again.
   */
  const announced = new Set<string>();
  async function announceAvailable(asset: Asset, decision: Decision): Promise<void> {
    const to = describeVersion(decision.candidate.target);
    const key = `${asset.id}@${to}`;
    if (announced.has(key)) return;
    announced.add(key);
    const earlier = await deps.journal.auditEvents({ assetId: asset.id, limit: 100 });
    if (earlier.some((event) => event.type === 'update.available' && event.data.to === to)) return;
    const payload = {
      assetId: asset.id,
      from: describeVersion(asset.current),
      to,
      updateType: decision.candidate.updateType,
      reason: asset.monitorOnly ? 'monitor-only' : decision.reasons.join('; '),
    };
    await deps.journal.audit({
      at: deps.clock.now(),
      assetId: asset.id,
      updateId: null,
      type: 'update.available',
      actor: ACTOR,
      data: payload,
    });
    await notify('update.available', payload);
  }

  /**
   * Writes the update to the journal as a queued record, then queues it. An asset has at most one: a
   * queued one for the same target is kept, one for an older target is cancelled in favour of the new.
   */
  async function enqueue(
    batch: DaemonItem[],
    asset: Asset,
    decision: Decision,
    approvalId?: string,
  ): Promise<boolean> {
    const target = decision.candidate.target;
    const existing = scheduler.queue.itemOfAsset(asset.id);
    if (existing?.running) return false;
    if (existing && sameTarget(existing.item.target, target)) return false;
    if (existing) {
      scheduler.queue.cancel(existing.item.id);
      await cancelQueued(
        deps.journal,
        deps.clock,
        existing.item.id,
        `superseded by ${describeVersion(target)}`,
        ACTOR,
      );
    }
    const entry = {
      priority: deps.priorityOf?.(asset, decision) ?? decision.candidate.priority,
      namespace: asset.namespace,
      dependsOn: deps.dependsOn?.(asset, knownAssets) ?? [],
      decision,
      ...(approvalId ? { approvalId } : {}),
    };
    await deps.journal.upsertAssets([asset], deps.clock.now());
    let record;
    try {
      record = await deps.journal.createUpdate({
        assetId: asset.id,
        assetKind: asset.kind,
        fromVersion: asset.current.version,
        fromDigest: asset.current.digest ?? null,
        toVersion: target.version,
        toDigest: target.digest ?? null,
        origin: 'daemon',
        requestedBy: approvalId ? `${ACTOR} (approval ${approvalId})` : ACTOR,
        facts: queueFacts(entry),
      });
    } catch (error) {
      // Another process (a CLI update, another replica) has an unfinished update of this asset.
      if (!(error instanceof ConflictError)) throw error;
      log.info({ assetId: asset.id }, `${asset.id}: not queued: ${error.message}`);
      return false;
    }
    const item = itemFromRecord(record, asset);
    if (typeof item === 'string') throw new Error(item);
    batch.push(item);
    return true;
  }

  /** Takes up the queue the journal holds (written by this or an earlier leader). */
  async function restoreQueue(): Promise<void> {
    await syncPauses();
    const queued = await deps.journal.listUpdates({ states: ['queued'] });
    const batch: DaemonItem[] = [];
    for (const record of queued.reverse()) {
      if (scheduler.queue.has(record.id) || !isQueueEntry(record)) continue;
      const item = itemFromRecord(record, (await deps.journal.getAsset(record.assetId))?.snapshot);
      if (typeof item === 'string') await cancelQueued(deps.journal, deps.clock, record.id, item, ACTOR);
      else batch.push(item);
    }
    const restored = scheduler.addAll(batch).filter((added) => added !== 'busy').length;
    if (restored > 0) log.info({ restored }, `took up ${restored} queued updates from the journal`);
  }

  /**
   * Pauses set or lifted by another process (`safe-updater pause` on the CLI) reach the queue at each check:
   * a paused asset's queued update waits for `resume` rather than being refused when its turn comes.
   */
  async function syncPauses(): Promise<void> {
    const rows = await deps.journal.listAssets();
    const paused = new Set(rows.filter((row) => row.paused).map((row) => row.id));
    for (const assetId of paused) scheduler.pauseAsset(assetId);
    for (const assetId of scheduler.status().pausedAssets) {
      if (!paused.has(assetId)) scheduler.resumeAsset(assetId);
    }
  }

  async function cycle(trigger: CycleSummary['trigger'], select?: (asset: Asset) => boolean): Promise<void> {
    await expireApprovals();
    await syncPauses();
    const regular = trigger === 'start' || trigger === 'interval';
    const report = await deps.scan({ signal: stop.signal, select: select ?? dueNow });
    const seen = report.assets.map((evaluation) => evaluation.asset);
    planNextLookups(seen);
    if (regular) {
      // Assets left out because their own schedule is not due stay known (for webhooks, dependencies).
      const ids = new Set(seen.map((asset) => asset.id));
      knownAssets = [...seen, ...knownAssets.filter((asset) => !ids.has(asset.id) && dueAt.has(asset.id))];
    }
    const summary: CycleSummary = {
      trigger,
      assets: report.assets.length,
      problems: report.problems.length,
      lookupFailures: report.assets.filter((a) => a.status === 'lookup-failed' || a.status === 'not-found')
        .length,
      enqueued: [],
      approvalsRequested: [],
    };
    for (const problem of report.problems) log.warn({ subject: problem.subject }, problem.message);
    // Written to the journal one by one, queued at once: the queue's order decides what starts first.
    const batch: DaemonItem[] = [];
    try {
      for (const evaluation of report.assets) {
        const { asset, decision } = evaluation;
        if (evaluation.status === 'lookup-failed') {
          log.warn({ assetId: asset.id }, `${asset.id}: lookup failed: ${evaluation.problem ?? ''}`);
        }
        if (!decision || evaluation.status !== 'update-available') continue;
        const version = decision.candidate.target.version;
        if (asset.monitorOnly || decision.verdict === 'blocked') {
          await announceAvailable(asset, decision);
        } else if (decision.verdict === 'auto') {
          if (await enqueue(batch, asset, decision)) summary.enqueued.push(asset.id);
        } else if (decision.verdict === 'needs-approval') {
          const approvals = await deps.journal.listApprovals({ assetId: asset.id });
          const approved = approvals.find((a) => a.state === 'approved' && a.toVersion === version);
          if (approved) {
            const granted: Decision = {
              ...decision,
              verdict: 'auto',
              reasons: [
                ...decision.reasons,
                `approved by ${approved.decidedBy ?? 'someone'} (${approved.id})`,
              ],
            };
            if (await enqueue(batch, asset, granted, approved.id)) summary.enqueued.push(asset.id);
          } else if (!approvals.some((a) => a.state === 'pending' && a.toVersion === version)) {
            const now = deps.clock.now();
            const approval = await deps.journal.createApproval({
              id: randomUUID(),
              assetId: asset.id,
              toVersion: version,
              requestedAt: now,
              deadline: new Date(now.getTime() + options.approvalTimeoutMs),
            });
            summary.approvalsRequested.push(asset.id);
            await notify('update.needs-approval', {
              assetId: asset.id,
              from: describeVersion(asset.current),
              to: version,
              approvalId: approval.id,
              deadline: approval.deadline?.toISOString() ?? null,
              reason: decision.reasons.join('; '),
            });
            log.info(
              { assetId: asset.id, approvalId: approval.id, to: version },
              `${asset.id} → ${version} needs approval (${approval.id})`,
            );
          }
        }
      }
    } finally {
      scheduler.addAll(batch);
    }
    result.cycles++;
    result.lastCycle = summary;
    await deps.journal.audit({
      at: deps.clock.now(),
      assetId: null,
      updateId: null,
      type: 'daemon.cycle',
      actor: ACTOR,
      data: { ...summary },
    });
    log.info(
      { ...summary },
      `${trigger} check: ${summary.assets} assets, ${summary.enqueued.length} queued, ${summary.approvalsRequested.length} approvals requested`,
    );
  }

  const control: DaemonControl = {
    scheduler,
    isLeader,
    wake: () => {
      fullCycleWanted = true;
      wake();
    },
    forget(updateId) {
      scheduler.queue.cancel(updateId);
    },
    onImagePushed(push) {
      const matched = (deps.assetsForPush?.(push, knownAssets) ?? []).map((asset) => asset.id);
      log.info(
        { registry: push.registry, repository: push.repository, tag: push.tag, assets: matched },
        `registry push of ${push.repository}${push.tag ? `:${push.tag}` : ''}: checking the assets that use it (${matched.length} known)`,
      );
      // Matched again after a fresh discovery, so a workload created since the last full check counts too.
      if (deps.assetsForPush) {
        pendingPushes.push(push);
        wake();
      }
      return matched;
    },
  };

  async function leaderWork(signal: AbortSignal): Promise<void> {
    let nextFull = 0;
    let leaseHeldElsewhere = false;
    while (!signal.aborted && !(options.once && result.cycles > 0)) {
      if (!isLeader()) {
        await sleepOrWake(1_000, signal);
        continue;
      }
      try {
        leaseHeldElsewhere = await settleInterrupted(signal, !reconciled);
        if (!reconciled) await restoreQueue();
        reconciled = true;
      } catch (error) {
        if (signal.aborted) break;
        log.error({ err: error }, `reconciliation failed: ${errorMessage(error)}`);
      }
      try {
        const now = deps.clock.now().getTime();
        if (fullCycleWanted || now >= nextFull) {
          const trigger = result.cycles === 0 ? 'start' : 'interval';
          fullCycleWanted = false;
          pendingPushes.length = 0;
          nextFull = now + jittered(options.intervalMs, options.jitter);
          await cycle(trigger);
        } else if (pendingPushes.length > 0) {
          const pushes = pendingPushes.splice(0);
          const concerns = deps.assetsForPush ?? (() => []);
          await cycle('webhook', (asset) => pushes.some((push) => concerns(push, [asset]).length > 0));
        } else if ([...dueAt.values()].some((due) => due <= now)) {
          await cycle('schedule', (asset) => dueAt.has(asset.id) && dueNow(asset));
        }
      } catch (error) {
        if (signal.aborted) break;
        log.error({ err: error }, `check failed: ${errorMessage(error)}`);
      }
      if (options.once) break;
      // A record whose asset lease still looks held (its holder died on another host) is tried again soon.
      const untilFull = Math.max(0, Math.min(nextFull, ...dueAt.values()) - deps.clock.now().getTime());
      const waitMs = leaseHeldElsewhere
        ? Math.min(untilFull, options.settleRetryMs ?? SETTLE_RETRY_MS)
        : untilFull;
      if (pendingPushes.length === 0 && !fullCycleWanted) await sleepOrWake(waitMs, signal);
    }
  }

  /**
   * Settles records a dead process left unfinished. At start-up (and after winning the lease) all of them;
   * later, before each check, the ones that were skipped because a lease still looked held (a holder on
   * another host is known dead only when its lease expires). The daemon's own running updates are left alone.
   */
  async function settleInterrupted(signal: AbortSignal, startUp: boolean): Promise<boolean> {
    if (!startUp) {
      const open = await deps.journal.listUpdates({ states: [...NON_TERMINAL_STATES] });
      const waiting = (record: UpdateRecord): boolean =>
        scheduler.queue.has(record.id) || (record.state === 'queued' && isQueueEntry(record));
      if (open.every(waiting)) return false;
    }
    const entries = await reconcile(deps.workflow, {
      timeoutMs: options.updateTimeoutMs,
      signal,
      progress: (message) => log.info(message),
      leave: (record) => (scheduler.queue.has(record.id) ? 'running in this process' : undefined),
    });
    const settled = entries.filter((entry) => entry.result);
    if (settled.length > 0) log.info({ entries: settled.length }, 'reconciled interrupted updates');
    return entries.some((entry) => entry.skipped === LEASE_HELD);
  }

  /** Sleeps until the deadline, a wake-up (webhook, approval) or the abort. */
  function sleepOrWake(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      // An abort that came while a round ran fires no event any more.
      if (signal.aborted) {
        resolve();
        return;
      }
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        if (wakeUp === done) wakeUp = undefined;
        resolve();
      }
      wakeUp = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  return {
    control,
    async run(signal: AbortSignal): Promise<DaemonResult> {
      const onAbort = (): void => stop.abort(signal.reason);
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      const background: Promise<void>[] = [];
      if (deps.elector) {
        background.push(
          deps.elector.run(stop.signal).catch((error: unknown) => {
            log.error({ err: error }, `leader election stopped: ${errorMessage(error)}`);
          }),
        );
        if (!options.once) {
          // Only the leader acts: a replica that loses the lease lets its running updates finish under
          // their asset leases and takes nothing new.
          void trackLeadership(stop.signal);
        }
      }
      if (deps.deliverer) {
        background.push(
          deps.deliverer.run(stop.signal).catch((error: unknown) => {
            log.error({ err: error }, `notification delivery stopped: ${errorMessage(error)}`);
          }),
        );
      }
      try {
        await leaderWork(stop.signal);
        if (options.once) {
          // One round does not wait for a window to open: what a closed window holds back is reported.
          for (const entry of scheduler.status().queued) {
            if (entry.waitingFor?.type !== 'gate') continue;
            scheduler.cancel(entry.item.id, entry.waitingFor.message);
          }
          await scheduler.whenIdle();
        }
      } finally {
        stop.abort(new Error('daemon stopped'));
        scheduler.stop();
        await scheduler.whenIdle();
        await Promise.all(background);
        await Promise.all([...writes]);
        signal.removeEventListener('abort', onAbort);
      }
      return result;
    },
  };

  async function trackLeadership(signal: AbortSignal): Promise<void> {
    let was = isLeader();
    while (!signal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (signal.aborted) return;
      const now = isLeader();
      if (was && !now) {
        scheduler.pauseAll();
        // The queue stays in the journal for the new leader; this replica takes it up again if it wins.
        scheduler.clearQueued();
        reconciled = false;
        fullCycleWanted = true;
        log.warn('lost the leader lease: taking no new work');
      } else if (!was && now) {
        scheduler.resumeAll();
        wake();
      }
      was = now;
    }
  }
}

/** Runs the daemon until `signal` aborts (or one cycle with `once`). */
export async function runDaemon(
  deps: DaemonDeps,
  options: DaemonOptions,
  signal: AbortSignal,
): Promise<DaemonResult> {
  return createDaemon(deps, options).run(signal);
}
