import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import {
  QueueScheduler,
  UpdateQueue,
  runQueue,
  type QueueItem,
  type RunResult,
  type SettledItem,
} from './queue.js';

const T0 = new Date('2026-03-01T00:00:00Z');

function item(id: string, extra: Partial<QueueItem> = {}): QueueItem {
  return { id, assetId: `asset-${id}`, namespace: 'default', priority: 1, queuedAt: T0, ...extra };
}

/** Runs that finish only when the test says so, recording what ran when. */
class ControlledRuns {
  readonly pending = new Map<string, (result: RunResult) => void>();
  readonly started: string[] = [];
  readonly signals = new Map<string, AbortSignal>();
  /** [start step, end step] per item, on a counter of start/finish events. */
  readonly intervals = new Map<string, [number, number]>();
  private step = 0;
  private active = 0;
  maxActive = 0;

  readonly run = (queued: QueueItem, signal: AbortSignal): Promise<RunResult> => {
    this.started.push(queued.id);
    this.signals.set(queued.id, signal);
    const interval: [number, number] = [this.step++, -1];
    this.intervals.set(queued.id, interval);
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    return new Promise((resolve) => {
      this.pending.set(queued.id, (result) => {
        this.active -= 1;
        interval[1] = this.step++;
        this.pending.delete(queued.id);
        resolve(result);
      });
    });
  };

  /** The ids of running items, in start order. */
  running(): string[] {
    return [...this.pending.keys()];
  }

  finish(id: string | undefined, result: RunResult = 'succeeded'): void {
    const resolve = id === undefined ? undefined : this.pending.get(id);
    if (!resolve)
      throw new Error(`${String(id)} is not running (running: ${[...this.pending.keys()].join(', ')})`);
    resolve(result);
  }
}

/** Lets queued promise callbacks (run starts, finish handlers) happen. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
}

describe('UpdateQueue', () => {
  it('orders by priority (security > bugfix > feature), then age, then arrival', () => {
    const queue = new UpdateQueue({ maxConcurrent: 10 });
    queue.add(item('feature-old', { priority: 1, queuedAt: new Date(T0.getTime() - 60_000) }));
    queue.add(item('bugfix-new', { priority: 2, queuedAt: new Date(T0.getTime() + 60_000) }));
    queue.add(item('security', { priority: 3 }));
    queue.add(item('bugfix-old', { priority: 2, queuedAt: new Date(T0.getTime() - 60_000) }));
    queue.add(item('feature-a', { priority: 1 }));
    queue.add(item('feature-b', { priority: 1 }));
    const order: string[] = [];
    for (let next = queue.take(T0); next; next = queue.take(T0)) order.push(next.id);
    expect(order).toEqual(['security', 'bugfix-old', 'bugfix-new', 'feature-old', 'feature-a', 'feature-b']);
  });

  it('keeps one update per asset: a queued one is replaced in place, a running one refuses', () => {
    const queue = new UpdateQueue({ maxConcurrent: 1 });
    expect(queue.add(item('a1', { assetId: 'web', queuedAt: T0 }))).toBe('added');
    expect(queue.add(item('b', { assetId: 'api', queuedAt: new Date(T0.getTime() + 1) }))).toBe('added');
    expect(queue.add(item('a2', { assetId: 'web', queuedAt: new Date(T0.getTime() + 2) }))).toBe('replaced');
    expect(queue.depth).toBe(2);
    const first = queue.take(T0);
    expect(first?.id).toBe('a2');
    expect(queue.add(item('a3', { assetId: 'web' }))).toBe('busy');
  });

  it('reports why each queued item waits', () => {
    const queue = new UpdateQueue({ maxConcurrent: 2, perNamespace: 1 });
    queue.add(item('a', { namespace: 'prod' }));
    queue.add(item('b', { namespace: 'prod' }));
    queue.add(item('c', { namespace: 'dev', dependsOn: ['asset-a'] }));
    queue.add(item('d', { namespace: 'dev' }));
    queue.add(item('e', { namespace: 'qa' }));
    queue.pauseAsset('asset-d');
    const status = queue.status(T0);
    expect(status.queued.map((entry) => [entry.item.id, entry.waitingFor])).toEqual([
      ['a', null],
      ['b', { type: 'namespace-limit', namespace: 'prod' }],
      ['c', { type: 'dependency', assetIds: ['asset-a'] }],
      ['d', { type: 'asset-paused' }],
      ['e', null],
    ]);
    queue.pauseAll();
    expect(queue.status(T0).queued.every((entry) => entry.waitingFor?.type === 'paused')).toBe(true);
    expect(queue.take(T0)).toBeUndefined();
  });

  it('finds dependency cycles and skips their members and dependents', () => {
    const queue = new UpdateQueue({ maxConcurrent: 2 });
    queue.add(item('a', { dependsOn: ['asset-b'] }));
    queue.add(item('b', { dependsOn: ['asset-c'] }));
    queue.add(item('c', { dependsOn: ['asset-a'] }));
    queue.add(item('d', { dependsOn: ['asset-c'] }));
    queue.add(item('e'));
    expect(queue.cycles()).toEqual([['asset-a', 'asset-b', 'asset-c']]);
    const skipped = queue.skipCycles();
    expect(skipped.map((s) => s.item.id).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(skipped[0]?.reason).toBe('dependency cycle: asset-a → asset-b → asset-c → asset-a');
    expect(queue.take(T0)?.id).toBe('e');
  });
});

describe('QueueScheduler', () => {
  it('runs 20 queued updates with never more than 2 in flight', async () => {
    const runs = new ControlledRuns();
    const items = Array.from({ length: 20 }, (_, i) => item(`u${i}`));
    const done = runQueue(items, { run: runs.run, limits: { maxConcurrent: 2 } });
    await settle();
    let finishedCount = 0;
    while (runs.pending.size > 0) {
      expect(runs.pending.size).toBeLessThanOrEqual(2);
      // Finish the later-started one first now and then, so slots free up out of order.
      const ids = runs.running();
      runs.finish(finishedCount % 3 === 0 ? ids.at(-1) : ids[0]);
      finishedCount += 1;
      await settle();
    }
    const results = await done;
    expect(finishedCount).toBe(20);
    expect(runs.maxActive).toBe(2);
    expect([...results.values()].every((r) => r.outcome === 'succeeded')).toBe(true);
    // The recorded intervals prove it: at every start, at most one other interval is open.
    for (const [id, [start]] of runs.intervals) {
      const overlapping = [...runs.intervals].filter(
        ([other, [s, e]]) => other !== id && s < start && e > start,
      );
      expect(overlapping.length).toBeLessThanOrEqual(1);
    }
  });

  it('holds a namespace to its limit while other namespaces use the free slots', async () => {
    const runs = new ControlledRuns();
    const items = [
      ...Array.from({ length: 5 }, (_, i) => item(`prod${i}`, { namespace: 'prod' })),
      ...Array.from({ length: 3 }, (_, i) => item(`dev${i}`, { namespace: 'dev' })),
    ];
    let maxProd = 0;
    const done = runQueue(items, {
      run: (queued, signal) => {
        const prod = [...runs.pending.keys()].filter((id) => id.startsWith('prod')).length;
        maxProd = Math.max(maxProd, prod + (queued.namespace === 'prod' ? 1 : 0));
        return runs.run(queued, signal);
      },
      limits: { maxConcurrent: 3, perNamespace: 1, namespaces: { prod: 2 } },
    });
    await settle();
    expect([...runs.pending.keys()].sort()).toEqual(['dev0', 'prod0', 'prod1']);
    while (runs.pending.size > 0) {
      runs.finish(runs.running()[0]);
      await settle();
    }
    await done;
    expect(maxProd).toBe(2);
    expect(runs.started).toHaveLength(8);
  });

  it('starts in priority order as slots free up', async () => {
    const runs = new ControlledRuns();
    const items = [
      item('feature', { priority: 1 }),
      item('bugfix', { priority: 2 }),
      item('security-late', { priority: 3, queuedAt: new Date(T0.getTime() + 5_000) }),
      item('security', { priority: 3 }),
    ];
    const done = runQueue(items, { run: runs.run, limits: { maxConcurrent: 1 } });
    for (let i = 0; i < items.length; i += 1) {
      await settle();
      runs.finish(runs.started.at(-1));
    }
    await done;
    expect(runs.started).toEqual(['security', 'security-late', 'bugfix', 'feature']);
  });

  it('runs dependencies first and skips dependents of a failed update', async () => {
    const runs = new ControlledRuns();
    const items = [
      item('app', { assetId: 'app', priority: 3, dependsOn: ['db'] }),
      item('db', { assetId: 'db' }),
      item('worker', { assetId: 'worker', dependsOn: ['app'] }),
      item('cache', { assetId: 'cache', dependsOn: ['gone'] }),
      item('broken', { assetId: 'broken' }),
      item('after-broken', { assetId: 'after-broken', dependsOn: ['broken'] }),
    ];
    const done = runQueue(items, { run: runs.run, limits: { maxConcurrent: 4 } });
    await settle();
    // app waits for db although its priority is higher; cache's dependency is not queued at all.
    expect([...runs.pending.keys()].sort()).toEqual(['broken', 'cache', 'db']);
    runs.finish('broken', 'failed');
    runs.finish('cache');
    await settle();
    expect(runs.pending.has('app')).toBe(false);
    runs.finish('db');
    await settle();
    expect([...runs.pending.keys()]).toEqual(['app']);
    runs.finish('app');
    await settle();
    runs.finish('worker');
    const results = await done;
    expect(runs.started).toEqual(['db', 'cache', 'broken', 'app', 'worker']);
    expect(results.get('after-broken')).toMatchObject({
      outcome: 'skipped',
      reason: 'dependency broken failed',
    });
    expect(results.get('broken')?.outcome).toBe('failed');
    expect(results.get('worker')?.outcome).toBe('succeeded');
  });

  it('reports a dependency cycle instead of waiting forever', async () => {
    const runs = new ControlledRuns();
    const items = [
      item('a', { assetId: 'a', dependsOn: ['b'] }),
      item('b', { assetId: 'b', dependsOn: ['a'] }),
      item('c', { assetId: 'c' }),
    ];
    const done = runQueue(items, { run: runs.run, limits: { maxConcurrent: 2 } });
    await settle();
    runs.finish('c');
    const results = await done;
    expect(results.get('a')).toMatchObject({ outcome: 'skipped', reason: 'dependency cycle: a → b → a' });
    expect(results.get('b')?.outcome).toBe('skipped');
    expect(runs.started).toEqual(['c']);
  });

  it('counts a thrown run as failed, with its message', async () => {
    const results = await runQueue([item('x')], {
      run: async () => {
        throw new Error('helm exploded');
      },
      limits: { maxConcurrent: 1 },
    });
    expect(results.get('x')).toMatchObject({ outcome: 'failed', reason: 'helm exploded' });
  });

  it('starts nothing while paused, everything after resume; a paused asset waits alone', async () => {
    const runs = new ControlledRuns();
    const settled: SettledItem[] = [];
    const scheduler = new QueueScheduler(new UpdateQueue({ maxConcurrent: 5 }), {
      run: runs.run,
      onSettled: (s) => settled.push(s),
    });
    scheduler.pauseAll();
    scheduler.pauseAsset('asset-b');
    scheduler.add(item('a'));
    scheduler.add(item('b'));
    scheduler.add(item('c'));
    await settle();
    expect(runs.started).toEqual([]);
    scheduler.resumeAll();
    await settle();
    expect(runs.started).toEqual(['a', 'c']);
    scheduler.resumeAsset('asset-b');
    await settle();
    expect(runs.started).toEqual(['a', 'c', 'b']);
    for (const id of ['a', 'b', 'c']) runs.finish(id);
    await scheduler.whenIdle();
    expect(settled.map((s) => s.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });

  it('cancels a queued update and aborts a running one', async () => {
    const runs = new ControlledRuns();
    const settled: SettledItem[] = [];
    const scheduler = new QueueScheduler(new UpdateQueue({ maxConcurrent: 1 }), {
      run: runs.run,
      onSettled: (s) => settled.push(s),
    });
    scheduler.add(item('running'));
    scheduler.add(item('waiting'));
    scheduler.add(item('next'));
    await settle();
    expect(scheduler.cancel('waiting')).toBe('cancelled');
    expect(scheduler.cancel('running')).toBe('aborting');
    expect(scheduler.cancel('nope')).toBe('unknown');
    expect(runs.signals.get('running')?.aborted).toBe(true);
    runs.finish('running', 'failed');
    await settle();
    expect(runs.started).toEqual(['running', 'next']);
    runs.finish('next');
    await scheduler.whenIdle();
    expect(settled.map((s) => [s.item.id, s.outcome])).toEqual([
      ['waiting', 'cancelled'],
      ['running', 'cancelled'],
      ['next', 'succeeded'],
    ]);
  });

  it('starts nothing while the update window is closed and starts when it opens', async () => {
    const clock = new ManualClock(new Date('2026-03-01T01:00:00Z'));
    const runs = new ControlledRuns();
    const opensAt = new Date('2026-03-01T02:00:00Z').getTime();
    const scheduler = new QueueScheduler(new UpdateQueue({ maxConcurrent: 2 }), {
      run: runs.run,
      clock,
      pollMs: 60_000,
      gate: (_item, now) => (now.getTime() >= opensAt ? null : 'outside the update window'),
    });
    scheduler.add(item('a'));
    scheduler.add(item('b'));
    await settle();
    expect(scheduler.status().queued[0]?.waitingFor).toEqual({
      type: 'gate',
      message: 'outside the update window',
    });
    for (let minute = 0; minute < 59; minute += 1) {
      clock.advance(60_000);
      await settle();
    }
    expect(runs.started).toEqual([]);
    clock.advance(60_000);
    await settle();
    expect(runs.started).toEqual(['a', 'b']);
    runs.finish('a');
    runs.finish('b');
    await scheduler.whenIdle();
  });

  it('stops: queued items are cancelled, running ones aborted, then idle', async () => {
    const runs = new ControlledRuns();
    const controller = new AbortController();
    const done = runQueue([item('a'), item('b')], {
      run: runs.run,
      limits: { maxConcurrent: 1 },
      signal: controller.signal,
    });
    await settle();
    controller.abort();
    expect(runs.signals.get('a')?.aborted).toBe(true);
    runs.finish('a', 'failed');
    const results = await done;
    expect(results.get('a')?.outcome).toBe('cancelled');
    expect(results.get('b')).toMatchObject({ outcome: 'cancelled', reason: 'scheduler stopped' });
    expect(runs.started).toEqual(['a']);
  });
});
