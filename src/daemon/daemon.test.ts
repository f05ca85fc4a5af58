import { afterEach, describe, expect, it } from 'vitest';
import { ScriptedUpdater, failing, testAsset } from '../../test/support/scripted-updater.js';
import { SteppingClock } from '../../test/support/stepping-clock.js';
import type { Asset, Decision, Verdict } from '../core/model.js';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { createHealthChecker } from '../health/checker.js';
import { createVerifier } from '../health/verifier.js';
import { createOutboxNotifier } from '../notify/notifier.js';
import type { WorkflowDeps } from '../orchestrator/run-update.js';
import type { ScanReport } from '../scan/scan.js';
import { openJournal } from '../state/journal.js';
import type { Journal } from '../state/types.js';
import { createUpdaters } from '../updaters/index.js';
import { parsePollSchedule } from '../policy/poll-schedule.js';
import { createDaemon, jittered, runDaemon, type DaemonDeps, type DaemonOptions } from './daemon.js';
import { onceExitCode } from './from-config.js';

const opened: Journal[] = [];
afterEach(async () => {
  for (const journal of opened.splice(0)) await journal.close();
});

const OPTIONS: DaemonOptions = {
  intervalMs: 60_000,
  jitter: 0.1,
  once: true,
  maxConcurrent: 2,
  updateTimeoutMs: 60_000,
  approvalTimeoutMs: 3_600_000,
};

function decision(asset: Asset, version: string, verdict: Verdict): Decision {
  return {
    candidate: {
      assetId: asset.id,
      current: asset.current,
      target: { version },
      updateType: 'minor',
      priority: 1,
    },
    verdict,
    reasons: [],
  };
}

async function harness() {
  const clock = new SteppingClock(new Date('2026-03-01T10:00:00Z'));
  const journal = await openJournal('sqlite::memory:', { clock });
  await journal.migrate();
  opened.push(journal);
  const updater = new ScriptedUpdater('1.0.0');
  const workflow: WorkflowDeps = {
    journal,
    updaters: createUpdaters({ helm: () => updater }),
    verifier: createVerifier({ clock, checker: createHealthChecker({ clock }), monitorMs: 0 }),
    clock,
    notifier: createOutboxNotifier({ journal, clock, channels: [] }),
    holder: 'test-host:1:abc',
    limits: { maxRollbacks: 3, windowMs: 3_600_000 },
  };
  let verdict: Verdict = 'auto';
  const deps: DaemonDeps = {
    journal,
    clock,
    logger: silentLogger(),
    workflow,
    scan: async (): Promise<ScanReport> => {
      const asset = testAsset(updater.live);
      const upToDate = updater.live === '1.1.0';
      return {
        startedAt: clock.now(),
        finishedAt: clock.now(),
        problems: [],
        assets: [
          upToDate
            ? { asset, status: 'up-to-date' }
            : { asset, status: 'update-available', decision: decision(asset, '1.1.0', verdict) },
        ],
      };
    },
  };
  const once = (extra: Partial<DaemonDeps> = {}) =>
    runDaemon({ ...deps, ...extra }, OPTIONS, new AbortController().signal);
  return {
    clock,
    journal,
    updater,
    once,
    deps,
    setVerdict: (v: Verdict) => (verdict = v),
  };
}

describe('the daemon, one round at a time', () => {
  it('runs an automatic update and reports it', async () => {
    const { once, updater, journal } = await harness();
    const result = await once();
    expect(result.cycles).toBe(1);
    expect(result.results.map((r) => r.outcome)).toEqual(['succeeded']);
    expect(updater.live).toBe('1.1.0');
    expect(onceExitCode(result)).toBe(0);
    const [record] = await journal.listUpdates({ assetId: 'helm/demo/web' });
    expect(record).toMatchObject({ origin: 'daemon', requestedBy: 'daemon', state: 'succeeded' });
    const audit = await journal.auditEvents({ limit: 10 });
    expect(audit.map((e) => e.type)).toContain('daemon.cycle');
  });

  it('gives exit code 3 when the update was rolled back', async () => {
    const { once, updater } = await harness();
    updater.script.health = { '1.1.0': failing('CrashLoopBackOff in pod web-1') };
    const result = await once();
    expect(result.results.map((r) => r.outcome)).toEqual(['rolled-back']);
    expect(updater.live).toBe('1.0.0');
    expect(onceExitCode(result)).toBe(3);
  });

  it('asks for approval once, runs the update once approved, and expires overdue requests', async () => {
    const { once, updater, journal, clock, setVerdict } = await harness();
    setVerdict('needs-approval');

    await once();
    await once();
    const requested = await journal.listApprovals({ assetId: 'helm/demo/web' });
    expect(requested).toHaveLength(1);
    expect(requested[0]).toMatchObject({ state: 'pending', toVersion: '1.1.0' });
    expect(requested[0]?.deadline?.getTime()).toBe(clock.now().getTime() + OPTIONS.approvalTimeoutMs);
    expect(updater.live).toBe('1.0.0');

    // Past its deadline: expired, and a fresh request replaces it.
    clock.manual.advance(OPTIONS.approvalTimeoutMs + 1);
    await once();
    const afterExpiry = await journal.listApprovals({ assetId: 'helm/demo/web' });
    expect(afterExpiry.map((a) => a.state).sort()).toEqual(['expired', 'pending']);
    expect(updater.live).toBe('1.0.0');

    const pending = afterExpiry.find((a) => a.state === 'pending');
    await journal.decideApproval(pending?.id ?? '', 'approved', 'cli:alice');
    const result = await once();
    expect(result.results.map((r) => r.outcome)).toEqual(['succeeded']);
    expect(updater.live).toBe('1.1.0');
    expect(result.results[0]?.record?.requestedBy).toBe(`daemon (approval ${pending?.id ?? ''})`);
  });

  it('notifies a needed approval once, and an available version it may not apply once', async () => {
    const { once, deps, journal, setVerdict } = await harness();
    const sent: [string, Record<string, unknown>][] = [];
    const workflow = {
      ...deps.workflow,
      notifier: {
        notify: async (event: string, payload: Record<string, unknown>) => void sent.push([event, payload]),
      },
    };
    setVerdict('needs-approval');
    await once({ workflow });
    await once({ workflow });
    const [approval] = await journal.listApprovals({ state: 'pending' });
    expect(sent).toEqual([
      [
        'update.needs-approval',
        expect.objectContaining({
          assetId: 'helm/demo/web',
          from: '1.0.0',
          to: '1.1.0',
          approvalId: approval?.id,
        }),
      ],
    ]);
    sent.length = 0;
    setVerdict('blocked');
    // Two processes one after the other: the version is announced once (the audit trail remembers it).
    await once({ workflow });
    await once({ workflow });
    expect(sent).toEqual([
      ['update.available', expect.objectContaining({ assetId: 'helm/demo/web', from: '1.0.0', to: '1.1.0' })],
    ]);
  });

  it('starts nothing while the window is closed; one round reports what the window held back', async () => {
    const { once, updater, journal } = await harness();
    const result = await once({ windowGate: () => 'outside the update windows' });
    expect(updater.live).toBe('1.0.0');
    expect(result.results).toEqual([]);
    expect(result.unsettled).toEqual([
      { assetId: 'helm/demo/web', outcome: 'cancelled', reason: 'outside the update windows' },
    ]);
    expect(onceExitCode(result)).toBe(0);
    // One round keeps no queue: its journal record says why it did not run.
    const [record] = await journal.listUpdates({ assetId: 'helm/demo/web' });
    expect(record).toMatchObject({ state: 'cancelled', reason: 'outside the update windows' });
  });

  it('stops when the stop signal comes while a round runs (SIGTERM during a scan)', async () => {
    const { deps } = await harness();
    const controller = new AbortController();
    const scan = deps.scan;
    const result = await runDaemon(
      {
        ...deps,
        scan: async (options) => {
          controller.abort(new Error('SIGTERM'));
          return scan(options);
        },
      },
      { ...OPTIONS, once: false, intervalMs: 3_600_000 },
      controller.signal,
    );
    expect(result.cycles).toBe(1);
  });

  it('spreads intervals by the jitter', () => {
    expect(jittered(100_000, 0.1, () => 0)).toBe(90_000);
    expect(jittered(100_000, 0.1, () => 1)).toBe(110_000);
    expect(jittered(100_000, 0, () => 0.7)).toBe(100_000);
  });
});

describe('the queue lives in the journal', () => {
  /** Runs a long-lived daemon until `cycles` checks are done, then stops it the way SIGTERM does. */
  async function runCycles(deps: DaemonDeps, cycles: number) {
    const controller = new AbortController();
    // The real clock for the queue: the stepping clock's instant sleeps would spin its window polling.
    const daemon = createDaemon(
      { ...deps, clock: systemClock },
      { ...OPTIONS, once: false, intervalMs: 3_600_000 },
    );
    const running = daemon.run(controller.signal);
    for (let done = 1; ; done++) {
      for (;;) {
        const events = await deps.journal.auditEvents({ limit: 100 });
        if (events.filter((e) => e.type === 'daemon.cycle').length >= done) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      if (done >= cycles) break;
      daemon.control.wake();
    }
    controller.abort(new Error('SIGTERM'));
    return running;
  }

  it('keeps a queued update through a restart and runs it once, as the same record', async () => {
    const { deps, journal, updater } = await harness();
    const closed = { ...deps, windowGate: () => 'outside the update windows' };
    await runCycles(closed, 3);
    const queued = await journal.listUpdates({ assetId: 'helm/demo/web' });
    // Three checks saw the same update: one record, still queued after the stop, with its queue entry.
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ state: 'queued', toVersion: '1.1.0', origin: 'daemon' });
    expect(queued[0]?.facts.queue).toMatchObject({ priority: 1, namespace: 'demo', dependsOn: [] });
    expect(updater.live).toBe('1.0.0');

    const result = await runDaemon(deps, OPTIONS, new AbortController().signal);
    expect(result.results.map((r) => [r.outcome, r.record?.id])).toEqual([['succeeded', queued[0]?.id]]);
    expect(updater.live).toBe('1.1.0');
    expect((await journal.listUpdates({ assetId: 'helm/demo/web' })).map((r) => r.state)).toEqual([
      'succeeded',
    ]);
  });

  it('replaces a queued update by a newer version, cancelling the older record with why', async () => {
    const { deps, journal, updater } = await harness();
    let offered = '1.1.0';
    const scan = async (): Promise<ScanReport> => {
      const asset = testAsset(updater.live);
      const found = decision(asset, offered, 'auto');
      offered = '1.2.0';
      return {
        startedAt: new Date(),
        finishedAt: new Date(),
        problems: [],
        assets: [{ asset, status: 'update-available', decision: found }],
      };
    };
    await runCycles({ ...deps, scan, windowGate: () => 'closed' }, 2);
    const records = await journal.listUpdates({ assetId: 'helm/demo/web' });
    expect(records.map((r) => [r.toVersion, r.state, r.reason])).toEqual([
      ['1.2.0', 'queued', null],
      ['1.1.0', 'cancelled', 'superseded by 1.2.0'],
    ]);
    const audit = await journal.auditEvents({ assetId: 'helm/demo/web' });
    expect(audit.map((e) => e.type)).toContain('update.cancelled');
  });

  it('cancels in the journal what the queue skipped because its dependency failed', async () => {
    const { deps, journal, updater } = await harness();
    updater.script.health = { '1.1.0': failing('CrashLoopBackOff in pod web-1') };
    const other = testAsset('2.0.0', { id: 'helm/demo/api', name: 'api' });
    const scan = async (): Promise<ScanReport> => {
      const web = testAsset(updater.live);
      return {
        startedAt: new Date(),
        finishedAt: new Date(),
        problems: [],
        assets: [
          { asset: web, status: 'update-available', decision: decision(web, '1.1.0', 'auto') },
          { asset: other, status: 'update-available', decision: decision(other, '2.1.0', 'auto') },
        ],
      };
    };
    const result = await runDaemon(
      {
        ...deps,
        scan,
        dependsOn: (asset) => (asset.id === 'helm/demo/api' ? ['helm/demo/web'] : []),
      },
      OPTIONS,
      new AbortController().signal,
    );
    expect(result.results.map((r) => [r.assetId, r.outcome])).toEqual([['helm/demo/web', 'rolled-back']]);
    const [api] = await journal.listUpdates({ assetId: 'helm/demo/api' });
    expect(api).toMatchObject({ state: 'cancelled', reason: 'dependency helm/demo/web failed' });
  });

  it('checks a pushed repository also for a workload created after the last full check', async () => {
    const { deps, journal, updater } = await harness();
    let exists = false;
    const scan = async (options: { select?: (asset: Asset) => boolean }): Promise<ScanReport> => {
      const asset = testAsset(updater.live);
      const found = exists && (options.select?.(asset) ?? true);
      return {
        startedAt: new Date(),
        finishedAt: new Date(),
        problems: [],
        assets: found
          ? [{ asset, status: 'update-available', decision: decision(asset, '1.1.0', 'auto') }]
          : [],
      };
    };
    const controller = new AbortController();
    const daemon = createDaemon(
      {
        ...deps,
        clock: systemClock,
        scan,
        assetsForPush: (push, assets) => assets.filter((asset) => push.repository === asset.name),
      },
      { ...OPTIONS, once: false, intervalMs: 3_600_000 },
    );
    const running = daemon.run(controller.signal);
    const cycles = async () =>
      (await journal.auditEvents({ limit: 100 })).filter((e) => e.type === 'daemon.cycle').length;
    while ((await cycles()) < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    exists = true;
    // The start check saw nothing, so no known asset matches; the push is still checked.
    expect(
      daemon.control.onImagePushed({ registry: null, repository: 'web', tag: '1.1.0', digest: null }),
    ).toEqual([]);
    while (updater.live !== '1.1.0') await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(new Error('SIGTERM'));
    const result = await running;
    expect(result.results.map((r) => r.outcome)).toEqual(['succeeded']);
    expect(result.lastCycle?.trigger).toBe('webhook');
  });

  it('settles an update a dead replica left once its asset lease expires, without waiting for the next check', async () => {
    const { deps, journal, updater } = await harness();
    await journal.upsertAssets([testAsset('1.0.0')], new Date());
    const left = await journal.createUpdate({
      assetId: 'helm/demo/web',
      assetKind: 'helm',
      fromVersion: '1.0.0',
      toVersion: '1.1.0',
      origin: 'daemon',
      requestedBy: 'daemon',
    });
    await journal.transition(left.id, 'queued', 'validating');
    await journal.transition(left.id, 'validating', 'applying', { facts: { previous: '1.0.0' } });
    await journal.transition(left.id, 'applying', 'verifying');
    updater.live = '1.1.0';
    // Its holder ran on another host: known dead only when the lease expires.
    const lease = 'asset:helm/demo/web';
    expect(await journal.tryAcquireLease(lease, 'other-host:99:dead', 3_600_000, new Date())).toBe(true);

    const controller = new AbortController();
    const daemon = createDaemon(
      {
        ...deps,
        clock: systemClock,
        scan: async () => ({ startedAt: new Date(), finishedAt: new Date(), problems: [], assets: [] }),
      },
      { ...OPTIONS, once: false, intervalMs: 3_600_000, settleRetryMs: 20 },
    );
    const running = daemon.run(controller.signal);
    const cycles = async () =>
      (await journal.auditEvents({ limit: 100 })).filter((e) => e.type === 'daemon.cycle').length;
    while ((await cycles()) < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await journal.getUpdate(left.id))?.state).toBe('verifying');

    await journal.releaseLease(lease, 'other-host:99:dead');
    while ((await journal.getUpdate(left.id))?.state === 'verifying') {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    controller.abort(new Error('SIGTERM'));
    await running;
    expect(await journal.getUpdate(left.id)).toMatchObject({ state: 'succeeded' });
    // Settled by the retry, not by a second check (the interval is an hour).
    expect(await cycles()).toBe(1);
  });

  it('looks up an asset with a poll schedule of its own on that schedule, the rest at the interval', async () => {
    const { deps, journal } = await harness();
    const fast = testAsset('1.0.0', { id: 'helm/demo/fast', name: 'fast' });
    const slow = testAsset('1.0.0', { id: 'helm/demo/slow', name: 'slow' });
    const lookedUp: string[][] = [];
    const scan = async (options: { select?: (asset: Asset) => boolean }): Promise<ScanReport> => {
      const assets = [fast, slow].filter((asset) => options.select?.(asset) ?? true);
      lookedUp.push(assets.map((asset) => asset.name));
      return {
        startedAt: new Date(),
        finishedAt: new Date(),
        problems: [],
        assets: assets.map((asset) => ({ asset, status: 'up-to-date' as const })),
      };
    };
    const controller = new AbortController();
    const daemon = createDaemon(
      {
        ...deps,
        clock: systemClock,
        scan,
        pollScheduleOf: (asset) =>
          asset.name === 'fast' ? parsePollSchedule('@every 1s', 'test') : undefined,
      },
      { ...OPTIONS, once: false, intervalMs: 3_600_000, jitter: 0 },
    );
    const running = daemon.run(controller.signal);
    const triggers = async () =>
      (await journal.auditEvents({ limit: 100 }))
        .filter((e) => e.type === 'daemon.cycle')
        .map((e) => e.data.trigger as string);
    while ((await triggers()).filter((t) => t === 'schedule').length < 2) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    controller.abort(new Error('SIGTERM'));
    await running;
    expect(lookedUp[0]).toEqual(['fast', 'slow']);
    expect(lookedUp.slice(1, 3)).toEqual([['fast'], ['fast']]);
    expect((await triggers()).sort().slice(0, 3)).toEqual(['schedule', 'schedule', 'start']);
  });

  it("holds a paused asset's queued update until a resume from another process, then runs it", async () => {
    const { deps, journal, updater } = await harness();
    await runCycles({ ...deps, windowGate: () => 'closed' }, 1);
    const [queued] = await journal.listUpdates({ assetId: 'helm/demo/web' });
    expect(queued?.state).toBe('queued');
    // `safe-updater pause` in another process: only the journal knows.
    await journal.setPaused('helm/demo/web', true, 'freeze', 'cli:alice');

    const controller = new AbortController();
    const daemon = createDaemon(
      { ...deps, clock: systemClock },
      { ...OPTIONS, once: false, intervalMs: 3_600_000 },
    );
    const running = daemon.run(controller.signal);
    const cycles = async () =>
      (await journal.auditEvents({ limit: 100 })).filter((e) => e.type === 'daemon.cycle').length;
    while ((await cycles()) < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await journal.getUpdate(queued?.id ?? ''))?.state).toBe('queued');
    expect(daemon.control.scheduler.status().queued[0]?.waitingFor).toEqual({ type: 'asset-paused' });
    expect(updater.live).toBe('1.0.0');

    await journal.setPaused('helm/demo/web', false, null, 'cli:alice');
    daemon.control.wake();
    while (updater.live !== '1.1.0') await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(new Error('SIGTERM'));
    await running;
    expect(await journal.getUpdate(queued?.id ?? '')).toMatchObject({ state: 'succeeded' });
  });
});
