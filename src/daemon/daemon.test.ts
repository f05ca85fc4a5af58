import { afterEach, describe, expect, it } from 'vitest';
import { ScriptedUpdater, failing, testAsset } from '../../test/support/scripted-updater.js';
import { SteppingClock } from '../../test/support/stepping-clock.js';
import type { Asset, Decision, Verdict } from '../core/model.js';
import { silentLogger } from '../core/logger.js';
import { createHealthChecker } from '../health/checker.js';
import { createVerifier } from '../health/verifier.js';
import { createOutboxNotifier } from '../notify/notifier.js';
import type { WorkflowDeps } from '../orchestrator/run-update.js';
import type { ScanReport } from '../scan/scan.js';
import { openJournal } from '../state/journal.js';
import type { Journal } from '../state/types.js';
import { createUpdaters } from '../updaters/index.js';
import { jittered, runDaemon, type DaemonDeps, type DaemonOptions } from './daemon.js';
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

  it('starts nothing while the window is closed; one round reports what the window held back', async () => {
    const { once, updater } = await harness();
    const result = await once({ windowGate: () => 'outside the update windows' });
    expect(updater.live).toBe('1.0.0');
    expect(result.results).toEqual([]);
    expect(result.unsettled).toEqual([
      { assetId: 'helm/demo/web', outcome: 'cancelled', reason: 'outside the update windows' },
    ]);
    expect(onceExitCode(result)).toBe(0);
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
