/**
 * The update queue (seed component 4, "Update Orchestrator"): which queued update may start now.
 *
 * `UpdateQueue` is pure bookkeeping with no timers and no I/O, so every rule is unit-testable:
 * - order: higher priority first (security 3 > bugfix 2 > feature 1, see src/policy/annotations.ts), then the
 *   older item, then the one added first; an item that cannot start never holds back the ones behind it;
 * - a global concurrency limit and optional per-namespace limits;
 * - one update per asset: a second item for a queued asset replaces it, for a running asset is refused;
 * - dependencies between assets: an item waits while any update of an asset it depends on is queued or
 *   running, and is skipped when that update fails; items whose dependencies form a cycle are skipped with
 *   the cycle in the reason;
 * - pause/resume of everything and of single assets (running updates finish; nothing new starts);
 * - cancel of a queued item (a running one is the scheduler's to abort).
 *
 * `QueueScheduler` starts items as slots free up and re-checks gates (update windows) on a clock tick;
 * `runQueue` runs a fixed list to completion. The durable copy of the queue is the journal's `queued`
 * records (src/daemon/queue-store.ts): the daemon re-adds them when it becomes leader, so the queue
 * survives restarts without a second store.
 */
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';

export interface QueueItem {
  /** Unique in the queue; the journal's update id in the daemon. */
  id: string;
  assetId: string;
  /** The namespace the per-namespace limit counts in (a Docker host name for Docker assets). */
  namespace: string;
  /** Higher starts first. */
  priority: number;
  queuedAt: Date;
  /** Asset ids whose queued or running updates must succeed before this one starts. */
  dependsOn?: readonly string[];
}

export interface QueueLimits {
  /** Updates in flight at once, over all namespaces. */
  maxConcurrent: number;
  /** Updates in flight at once within one namespace; unlimited when absent. */
  perNamespace?: number;
  /** Per-namespace overrides of `perNamespace`. */
  namespaces?: Readonly<Record<string, number>>;
}

export type ItemOutcome = 'succeeded' | 'failed' | 'cancelled' | 'skipped';

export interface SettledItem<T extends QueueItem = QueueItem> {
  item: T;
  outcome: ItemOutcome;
  reason: string | null;
}

export type AddResult = 'added' | 'replaced' | 'busy';

export type WaitReason =
  | { type: 'paused' }
  | { type: 'asset-paused' }
  | { type: 'dependency'; assetIds: string[] }
  | { type: 'concurrency-limit' }
  | { type: 'namespace-limit'; namespace: string }
  | { type: 'gate'; message: string };

export interface QueueStatus<T extends QueueItem = QueueItem> {
  paused: boolean;
  pausedAssets: string[];
  running: T[];
  /** In the order they would start, each with what it waits for (null: starts at the next chance). */
  queued: { item: T; waitingFor: WaitReason | null }[];
}

/** A gate such as an update window: null when the item may start now, otherwise why not. */
export type StartGate<T extends QueueItem = QueueItem> = (item: T, now: Date) => string | null;

export function compareItems(a: QueueItem, b: QueueItem): number {
  return b.priority - a.priority || a.queuedAt.getTime() - b.queuedAt.getTime();
}

export class UpdateQueue<T extends QueueItem = QueueItem> {
  private queued: T[] = [];
  private readonly running = new Map<string, T>();
  private readonly pausedAssets = new Set<string>();
  private pausedAll = false;

  constructor(readonly limits: QueueLimits) {
    if (!Number.isInteger(limits.maxConcurrent) || limits.maxConcurrent < 1) {
      throw new RangeError(`maxConcurrent must be a positive integer, got ${limits.maxConcurrent}`);
    }
  }

  get depth(): number {
    return this.queued.length;
  }

  get inFlight(): number {
    return this.running.size;
  }

  isIdle(): boolean {
    return this.queued.length === 0 && this.running.size === 0;
  }

  add(item: T): AddResult {
    if ([...this.running.values()].some((other) => other.assetId === item.assetId)) return 'busy';
    const index = this.queued.findIndex((other) => other.assetId === item.assetId);
    const previous = this.queued[index];
    if (previous) {
      // The newer request wins, but keeps its place in line.
      this.queued[index] = { ...item, queuedAt: previous.queuedAt };
      this.sort();
      return 'replaced';
    }
    this.queued.push(item);
    this.sort();
    return 'added';
  }

  /** Removes a queued item; false when it is not queued (running, finished or unknown). */
  cancel(id: string): boolean {
    const before = this.queued.length;
    this.queued = this.queued.filter((item) => item.id !== id);
    return this.queued.length < before;
  }

  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  /** The queued item with this id. */
  findQueued(id: string): T | undefined {
    return this.queued.find((item) => item.id === id);
  }

  /** The asset's item, queued or running. */
  itemOfAsset(assetId: string): { item: T; running: boolean } | undefined {
    for (const item of this.running.values()) if (item.assetId === assetId) return { item, running: true };
    const queued = this.queued.find((item) => item.assetId === assetId);
    return queued ? { item: queued, running: false } : undefined;
  }

  /** True when an item with this id is queued or running. */
  has(id: string): boolean {
    return this.running.has(id) || this.queued.some((item) => item.id === id);
  }

  /** Forgets every queued item without settling it (a replica that lost leadership); returns them. */
  clearQueued(): T[] {
    const dropped = this.queued;
    this.queued = [];
    return dropped;
  }

  pauseAll(): void {
    this.pausedAll = true;
  }

  resumeAll(): void {
    this.pausedAll = false;
  }

  pauseAsset(assetId: string): void {
    this.pausedAssets.add(assetId);
  }

  resumeAsset(assetId: string): void {
    this.pausedAssets.delete(assetId);
  }

  /** The best item that may start now, marked running; undefined when none may. */
  take(now: Date = new Date(), gate?: StartGate<T>): T | undefined {
    for (const item of this.queued) {
      if (this.waitReason(item, now, gate) === null) {
        this.queued = this.queued.filter((other) => other !== item);
        this.running.set(item.id, item);
        return item;
      }
    }
    return undefined;
  }

  /**
   * Marks a running item finished. When it did not succeed, every queued item depending on its asset
   * (directly or through other queued items) is skipped; those are returned.
   */
  finish(id: string, outcome: 'succeeded' | 'failed' | 'cancelled'): SettledItem<T>[] {
    const item = this.running.get(id);
    if (!item) return [];
    this.running.delete(id);
    if (outcome === 'succeeded') return [];
    return this.skipDependents([item.assetId], `dependency ${item.assetId} ${outcome}`);
  }

  /** Skips queued items whose dependencies form a cycle (they would wait forever); returns them. */
  skipCycles(): SettledItem<T>[] {
    const skipped: SettledItem<T>[] = [];
    for (const cycle of this.cycles()) {
      const reason = `dependency cycle: ${[...cycle, cycle[0]].join(' → ')}`;
      const members = this.queued.filter((item) => cycle.includes(item.assetId));
      this.queued = this.queued.filter((item) => !members.includes(item));
      skipped.push(...members.map((item) => ({ item, outcome: 'skipped' as const, reason })));
      skipped.push(...this.skipDependents(cycle, reason));
    }
    return skipped;
  }

  /** Asset-id cycles among queued items, each listed once in dependency order. */
  cycles(): string[][] {
    const byAsset = new Map(this.queued.map((item) => [item.assetId, item]));
    const state = new Map<string, 'visiting' | 'done'>();
    const found: string[][] = [];
    const visit = (assetId: string, path: string[]): void => {
      state.set(assetId, 'visiting');
      path.push(assetId);
      for (const dependency of byAsset.get(assetId)?.dependsOn ?? []) {
        if (!byAsset.has(dependency)) continue;
        if (state.get(dependency) === 'visiting') found.push(path.slice(path.indexOf(dependency)));
        else if (!state.has(dependency)) visit(dependency, path);
      }
      path.pop();
      state.set(assetId, 'done');
    };
    for (const assetId of byAsset.keys()) if (!state.has(assetId)) visit(assetId, []);
    return found;
  }

  status(now: Date = new Date(), gate?: StartGate<T>): QueueStatus<T> {
    // Simulate the picks so that "waiting for a slot" reflects the slots the earlier items would take.
    const simulated = new UpdateQueue<T>(this.limits);
    simulated.queued = [...this.queued];
    for (const [id, item] of this.running) simulated.running.set(id, item);
    simulated.pausedAll = this.pausedAll;
    for (const assetId of this.pausedAssets) simulated.pausedAssets.add(assetId);
    const queued = this.queued.map((item) => {
      const waitingFor = simulated.waitReason(item, now, gate);
      if (waitingFor === null) simulated.running.set(item.id, item);
      return { item, waitingFor };
    });
    return {
      paused: this.pausedAll,
      pausedAssets: [...this.pausedAssets].sort(),
      running: [...this.running.values()],
      queued,
    };
  }

  private waitReason(item: T, now: Date, gate?: StartGate<T>): WaitReason | null {
    if (this.pausedAll) return { type: 'paused' };
    if (this.pausedAssets.has(item.assetId)) return { type: 'asset-paused' };
    const pending = (item.dependsOn ?? []).filter((dependency) => this.hasWork(dependency, item));
    if (pending.length > 0) return { type: 'dependency', assetIds: pending };
    if (this.running.size >= this.limits.maxConcurrent) return { type: 'concurrency-limit' };
    const namespaceLimit = this.limits.namespaces?.[item.namespace] ?? this.limits.perNamespace;
    if (namespaceLimit !== undefined) {
      const inNamespace = [...this.running.values()].filter((other) => other.namespace === item.namespace);
      if (inNamespace.length >= namespaceLimit) return { type: 'namespace-limit', namespace: item.namespace };
    }
    const closed = gate?.(item, now) ?? null;
    if (closed !== null) return { type: 'gate', message: closed };
    return null;
  }

  private hasWork(assetId: string, except: T): boolean {
    if (assetId === except.assetId) return false;
    for (const item of this.running.values()) if (item.assetId === assetId) return true;
    return this.queued.some((item) => item.assetId === assetId);
  }

  private skipDependents(failedAssets: readonly string[], reason: string): SettledItem<T>[] {
    const skipped: SettledItem<T>[] = [];
    const failed = new Set(failedAssets);
    for (;;) {
      const next = this.queued.filter((item) => (item.dependsOn ?? []).some((d) => failed.has(d)));
      if (next.length === 0) return skipped;
      this.queued = this.queued.filter((item) => !next.includes(item));
      for (const item of next) {
        failed.add(item.assetId);
        skipped.push({ item, outcome: 'skipped', reason });
      }
    }
  }

  private sort(): void {
    // Array.prototype.sort is stable, so equal items keep the order they were added in.
    this.queued.sort(compareItems);
  }
}

export type RunResult = 'succeeded' | 'failed';

export interface SchedulerOptions<T extends QueueItem> {
  /** Runs one item; 'failed' or a throw fails it (and skips its dependents). */
  run: (item: T, signal: AbortSignal) => Promise<RunResult>;
  clock?: Clock;
  gate?: StartGate<T>;
  /** How often gated items are looked at again while nothing else wakes the scheduler. */
  pollMs?: number;
  /** Told about every settled item (finished, cancelled or skipped). */
  onSettled?: (settled: SettledItem<T>) => void;
  signal?: AbortSignal;
}

/** Starts queued items whenever a slot is free; one per queue. */
export class QueueScheduler<T extends QueueItem = QueueItem> {
  private readonly controllers = new Map<string, AbortController>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly clock: Clock;
  private polling = false;
  private readonly pollAbort = new AbortController();
  private stopped = false;

  constructor(
    readonly queue: UpdateQueue<T>,
    private readonly options: SchedulerOptions<T>,
  ) {
    this.clock = options.clock ?? systemClock;
    options.signal?.addEventListener('abort', () => this.stop(), { once: true });
  }

  add(item: T): AddResult {
    return this.addAll([item])[0] ?? 'busy';
  }

  /** Adds a batch, then starts what may start: the batch's priorities decide, not the order of adding. */
  addAll(items: readonly T[]): AddResult[] {
    const results = items.map((item) => this.queue.add(item));
    this.pump();
    return results;
  }

  /** Cancels a queued item, or aborts a running one (its run decides how to stop). */
  cancel(id: string, reason = 'cancelled'): 'cancelled' | 'aborting' | 'unknown' {
    const queued = this.queue.findQueued(id);
    if (queued && this.queue.cancel(id)) {
      this.settle({ item: queued, outcome: 'cancelled', reason });
      this.pump();
      return 'cancelled';
    }
    const controller = this.controllers.get(id);
    if (controller) {
      controller.abort(new Error('cancelled'));
      return 'aborting';
    }
    return 'unknown';
  }

  pauseAll(): void {
    this.queue.pauseAll();
  }

  resumeAll(): void {
    this.queue.resumeAll();
    this.pump();
  }

  pauseAsset(assetId: string): void {
    this.queue.pauseAsset(assetId);
  }

  resumeAsset(assetId: string): void {
    this.queue.resumeAsset(assetId);
    this.pump();
  }

  /** The queue now, gates applied (for the API's GET /api/v1/queue). */
  status(): QueueStatus<T> {
    return this.queue.status(this.clock.now(), this.options.gate);
  }

  /** Resolves once nothing is queued or running. */
  whenIdle(): Promise<void> {
    if (this.queue.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Forgets what is queued without settling it; whenIdle() resolves once the running items return. */
  clearQueued(): T[] {
    const dropped = this.queue.clearQueued();
    this.checkIdle();
    return dropped;
  }

  /** Cancels everything queued and aborts what runs; whenIdle() resolves once the runs have returned. */
  stop(): void {
    this.stopped = true;
    this.pollAbort.abort();
    for (const entry of this.queue.status().queued) {
      if (this.queue.cancel(entry.item.id)) {
        this.settle({ item: entry.item, outcome: 'cancelled', reason: 'scheduler stopped' });
      }
    }
    for (const controller of this.controllers.values()) controller.abort(new Error('scheduler stopped'));
    this.checkIdle();
  }

  /** Starts whatever may start now. */
  pump(): void {
    if (!this.stopped) {
      for (const settled of this.queue.skipCycles()) this.settle(settled);
      for (let item = this.take(); item; item = this.take()) this.start(item);
      this.pollWhileGated();
    }
    this.checkIdle();
  }

  private take(): T | undefined {
    return this.queue.take(this.clock.now(), this.options.gate);
  }

  private start(item: T): void {
    const controller = new AbortController();
    this.controllers.set(item.id, controller);
    const finished = (outcome: ItemOutcome, reason: string | null): void => {
      this.controllers.delete(item.id);
      const queueOutcome =
        outcome === 'succeeded' ? 'succeeded' : controller.signal.aborted ? 'cancelled' : 'failed';
      const skipped = this.queue.finish(item.id, queueOutcome);
      this.settle({ item, outcome: queueOutcome, reason });
      for (const entry of skipped) this.settle(entry);
      this.pump();
    };
    // Started on a later microtask, so one pump() hands out all free slots before any run begins.
    Promise.resolve()
      .then(() => this.options.run(item, controller.signal))
      .then(
        (result) => finished(result, result === 'failed' ? 'failed' : null),
        (error: unknown) => finished('failed', errorMessage(error)),
      );
  }

  private pollWhileGated(): void {
    if (this.polling || this.options.gate === undefined) return;
    const gatedOnly = this.queue
      .status(this.clock.now(), this.options.gate)
      .queued.some((entry) => entry.waitingFor?.type === 'gate');
    if (!gatedOnly) return;
    this.polling = true;
    this.clock.sleep(this.options.pollMs ?? 30_000, this.pollAbort.signal).then(
      () => {
        this.polling = false;
        this.pump();
      },
      () => undefined,
    );
  }

  private settle(settled: SettledItem<T>): void {
    this.options.onSettled?.(settled);
  }

  private checkIdle(): void {
    if (!this.queue.isIdle()) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

export interface RunQueueOptions<T extends QueueItem> extends Omit<SchedulerOptions<T>, 'onSettled'> {
  limits: QueueLimits;
}

/** Runs a fixed list of items to completion; resolves with every item's outcome, keyed by item id. */
export async function runQueue<T extends QueueItem>(
  items: readonly T[],
  options: RunQueueOptions<T>,
): Promise<Map<string, SettledItem<T>>> {
  const results = new Map<string, SettledItem<T>>();
  const queue = new UpdateQueue<T>(options.limits);
  const lastOfAsset = new Map<string, T>();
  for (const item of items) {
    const previous = lastOfAsset.get(item.assetId);
    if (queue.add(item) === 'replaced' && previous) {
      results.set(previous.id, { item: previous, outcome: 'cancelled', reason: `replaced by ${item.id}` });
    }
    lastOfAsset.set(item.assetId, item);
  }
  const scheduler = new QueueScheduler(queue, {
    ...options,
    onSettled: (settled) => results.set(settled.item.id, settled),
  });
  scheduler.pump();
  await scheduler.whenIdle();
  return results;
}
