import { afterEach, describe, expect, it } from 'vitest';
import { ScriptedUpdater, failing, healthy, testAsset } from '../../test/support/scripted-updater.js';
import { SteppingClock } from '../../test/support/stepping-clock.js';
import { ConflictError, ExitCode, PolicyError, SafeUpdaterError } from '../core/errors.js';
import type { Decision } from '../core/model.js';
import { createHealthChecker } from '../health/checker.js';
import { createVerifier } from '../health/verifier.js';
import { createOutboxNotifier } from '../notify/notifier.js';
import { createUpdaters } from '../updaters/index.js';
import { openJournal } from '../state/journal.js';
import type { Journal } from '../state/types.js';
import { assetLeaseName } from './asset-lease.js';
import { reconcile } from './reconcile.js';
import {
  cancelQueued,
  outcomeError,
  runManualRollback,
  runUpdate,
  type UpdateRequest,
  type WorkflowDeps,
} from './run-update.js';

const CRASH = 'pod web-7d9 container app: CrashLoopBackOff, 3 restarts';

const opened: Journal[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((journal) => journal.close()));
});

/** A workflow over the real journal on an in-memory SQLite database and a scripted updater. */
async function harness(initial = '1.0.0', options: { monitorMs?: number } = {}) {
  const clock = new SteppingClock();
  const journal = await openJournal('sqlite::memory:', { clock });
  await journal.migrate();
  opened.push(journal);
  const updater = new ScriptedUpdater(initial);
  const deps: WorkflowDeps = {
    journal,
    updaters: createUpdaters({ helm: () => updater }),
    verifier: createVerifier({
      clock,
      checker: createHealthChecker({ clock }),
      monitorMs: options.monitorMs ?? 0,
      monitorIntervalMs: 1_000,
    }),
    clock,
    notifier: createOutboxNotifier({ journal, clock, channels: [{ type: 'webhook' }] }),
    holder: 'test-host:1:abc',
    limits: { maxRollbacks: 3, windowMs: 3_600_000 },
  };
  const request = (version: string, extra: Partial<UpdateRequest> = {}): UpdateRequest => ({
    asset: testAsset(updater.live),
    target: { version },
    origin: 'cli',
    requestedBy: 'cli:tester',
    timeoutMs: 60_000,
    ...extra,
  });
  const states = async (id: string | undefined) => (await journal.transitions(id ?? '')).map((t) => t.to);
  const audit = async () =>
    (await journal.auditEvents({ assetId: 'helm/demo/web' })).map((e) => e.type).sort();
  const outbox = async () =>
    (await journal.dueNotifications(new Date('2100-01-01T00:00:00Z'), 100))
      .map((m) => `${m.channel} ${m.event}`)
      .sort();
  return { clock, journal, updater, deps, request, states, audit, outbox };
}

describe('runUpdate', () => {
  it('journals every transition before its action and ends succeeded on a healthy version', async () => {
    const { journal, updater, deps, request, states, audit, outbox } = await harness();
    const seen: string[] = [];
    updater.observe = async (call) => {
      const [record] = await journal.listUpdates({ assetId: 'helm/demo/web' });
      seen.push(
        `${call} @ ${record?.state ?? 'none'}${call === 'apply 1.1.0' ? ` facts.previous=${String(record?.facts.previous)}` : ''}`,
      );
    };
    const result = await runUpdate(deps, request('1.1.0'));

    expect(result.outcome).toBe('succeeded');
    expect(outcomeError(result)).toBeUndefined();
    expect(await states(result.record?.id)).toEqual([
      'queued',
      'validating',
      'applying',
      'verifying',
      'succeeded',
    ]);
    expect(seen).toEqual([
      'refresh @ none',
      'validate 1.1.0 @ validating',
      'prepare @ validating',
      'apply 1.1.0 @ applying facts.previous=1.0.0',
      'verify 1.1.0 @ verifying',
      'cleanup @ succeeded',
      // the journal's snapshot is re-read once the change took effect, so `status` shows the new version
      'refresh @ succeeded',
    ]);
    expect((await journal.getAsset('helm/demo/web'))?.snapshot?.current.version).toBe('1.1.0');
    expect(await audit()).toEqual(['update.started', 'update.succeeded']);
    expect(await outbox()).toEqual(['webhook#0 update.started', 'webhook#0 update.succeeded']);
    expect(await journal.getLease(assetLeaseName('helm/demo/web'))).toBeUndefined();
  });

  it('rolls back a crashlooping version, remembers it and refuses it next time (also with --force)', async () => {
    const { journal, updater, deps, request, states, audit } = await harness();
    updater.script.health = { '1.2.0': failing(CRASH) };
    const result = await runUpdate(deps, request('1.2.0'));

    expect(result.outcome).toBe('rolled-back');
    expect(updater.live).toBe('1.0.0');
    expect(await states(result.record?.id)).toEqual([
      'queued',
      'validating',
      'applying',
      'verifying',
      'rolling-back',
      'rolled-back',
    ]);
    expect(result.record?.reason).toBe(CRASH);
    expect(outcomeError(result)?.exitCode).toBe(ExitCode.rolledBack);
    expect((await journal.failedVersions('helm/demo/web')).map((f) => f.version)).toEqual(['1.2.0']);
    expect(await audit()).toContain('update.rolled-back');

    await expect(runUpdate(deps, request('1.2.0', { force: true }))).rejects.toBeInstanceOf(PolicyError);
    const retried = await runUpdate(deps, request('1.2.0', { retryFailed: true }));
    expect(retried.outcome).toBe('rolled-back');
  });

  it('pauses the asset on the third rollback within the window and refuses a fourth attempt', async () => {
    const { journal, updater, deps, request, outbox } = await harness();
    updater.script.health = { '1.2.0': failing(CRASH), '1.3.0': failing(CRASH), '1.4.0': failing(CRASH) };
    const outcomes = [];
    for (const version of ['1.2.0', '1.3.0', '1.4.0']) outcomes.push(await runUpdate(deps, request(version)));

    expect(outcomes.map((o) => o.outcome)).toEqual(['rolled-back', 'rolled-back', 'rolled-back']);
    expect(outcomes[2]?.pausedReason).toMatch(/rollback loop: 3 rollbacks within 60 min/);
    expect((await journal.getAsset('helm/demo/web'))?.paused).toBe(true);
    expect(await outbox()).toContain('webhook#0 update.loop-detected');

    const fourth = runUpdate(deps, request('1.5.0', { force: true }));
    await expect(fourth).rejects.toThrow(/paused: rollback loop/);
    expect(updater.calls).not.toContain('apply 1.5.0');
  });

  it('does not count rollbacks older than the window', async () => {
    const { clock, journal, updater, deps, request } = await harness();
    updater.script.health = { '1.2.0': failing(CRASH), '1.3.0': failing(CRASH), '1.4.0': failing(CRASH) };
    await runUpdate(deps, request('1.2.0'));
    await runUpdate(deps, request('1.3.0'));
    clock.manual.advance(3_600_001);
    const third = await runUpdate(deps, request('1.4.0'));
    expect(third.pausedReason).toBeUndefined();
    expect((await journal.getAsset('helm/demo/web'))?.paused).toBe(false);
  });

  it('ends rollback-failed, pauses and alerts when the rollback itself fails (exit 6)', async () => {
    const { journal, updater, deps, request, outbox } = await harness();
    updater.script.health = { '1.2.0': failing(CRASH) };
    updater.script.rollbackError = new Error('helm rollback: timed out waiting for the condition');
    const result = await runUpdate(deps, request('1.2.0'));

    expect(result.outcome).toBe('rollback-failed');
    expect(outcomeError(result)?.exitCode).toBe(ExitCode.rollbackFailed);
    expect((await journal.getAsset('helm/demo/web'))?.pausedReason).toMatch(/rollback failed/);
    expect(await outbox()).toContain('webhook#0 update.rollback-failed');
  });

  it('ends failed without touching the asset when validation fails, with the validation error', async () => {
    const { updater, deps, request, states } = await harness();
    updater.script.validateError = new SafeUpdaterError('chart demo-app 9.9.9 not found');
    const result = await runUpdate(deps, request('9.9.9'));
    expect(result.outcome).toBe('failed');
    expect(await states(result.record?.id)).toEqual(['queued', 'validating', 'failed']);
    expect(updater.calls.some((c) => c.startsWith('apply'))).toBe(false);
    expect(outcomeError(result)?.message).toBe('chart demo-app 9.9.9 not found');
  });

  it('asks the live asset after a failed apply: unchanged → failed, changed → rolled back', async () => {
    const first = await harness();
    first.updater.script.applyError = new Error('another operation is in progress');
    expect((await runUpdate(first.deps, first.request('1.1.0'))).outcome).toBe('failed');

    const second = await harness();
    second.updater.script.applyErrorAfterChange = new Error('timed out waiting for the condition');
    const result = await runUpdate(second.deps, second.request('1.1.0'));
    expect(result.outcome).toBe('rolled-back');
    expect(second.updater.live).toBe('1.0.0');
  });

  it('rolls back when the version fails inside the monitor window after a healthy rollout', async () => {
    const { updater, deps, request } = await harness('1.0.0', { monitorMs: 5_000 });
    updater.script.health = {
      '1.1.0': [healthy(), healthy(), failing('pod web-1 container app: 2 restarts')],
    };
    const result = await runUpdate(deps, request('1.1.0'));
    expect(result.outcome).toBe('rolled-back');
    expect(result.record?.reason).toBe('pod web-1 container app: 2 restarts');
  });

  it('succeeds after a monitor window without failure', async () => {
    const { clock, deps, request } = await harness('1.0.0', { monitorMs: 5_000 });
    const started = clock.now().getTime();
    expect((await runUpdate(deps, request('1.1.0'))).outcome).toBe('succeeded');
    expect(clock.now().getTime() - started).toBe(5_000);
  });

  it('enforces the policy decision unless forced', async () => {
    const { deps, request } = await harness();
    const decision: Decision = {
      candidate: {
        assetId: 'helm/demo/web',
        current: { version: '1.0.0' },
        target: { version: '2.0.0' },
        updateType: 'major',
        priority: 1,
      },
      verdict: 'needs-approval',
      reasons: ['major updates need approval (policy careful)'],
    };
    await expect(runUpdate(deps, request('2.0.0', { decision }))).rejects.toThrow(/needs approval/);
    expect((await runUpdate(deps, request('2.0.0', { decision, force: true }))).outcome).toBe('succeeded');
  });

  it('changes nothing on a dry run', async () => {
    const { journal, updater, deps, request } = await harness();
    const result = await runUpdate(deps, request('1.1.0', { dryRun: true }));
    expect(result).toMatchObject({ outcome: 'dry-run', dryRun: { summary: '1.0.0 → 1.1.0' } });
    expect(await journal.listUpdates()).toEqual([]);
    expect(updater.live).toBe('1.0.0');
  });

  it('refuses while another live process holds the asset (exit 7)', async () => {
    const { journal, clock, deps, request } = await harness();
    await journal.tryAcquireLease(assetLeaseName('helm/demo/web'), 'other-host:1:x', 30_000, clock.now());
    const attempt = runUpdate(deps, request('1.1.0'));
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
  });

  it('leaves the record verifying with --no-wait, and reconciliation finishes it', async () => {
    const { journal, deps, request } = await harness();
    const started = await runUpdate(deps, request('1.1.0', { wait: false }));
    expect(started.outcome).toBe('verifying');
    expect((await journal.getUpdate(started.record?.id ?? ''))?.state).toBe('verifying');
    await expect(runUpdate(deps, request('1.2.0'))).rejects.toBeInstanceOf(ConflictError);

    const settled = await reconcile(deps, { timeoutMs: 60_000 });
    expect(settled.map((e) => e.result?.outcome)).toEqual(['succeeded']);
  });
});

describe('reconcile', () => {
  async function interruptedAt(
    state: 'queued' | 'validating' | 'applying' | 'verifying' | 'rolling-back',
    live: string,
  ) {
    const h = await harness();
    const asset = testAsset('1.0.0');
    await h.journal.upsertAssets([asset], h.clock.now());
    const record = await h.journal.createUpdate({
      assetId: asset.id,
      assetKind: 'helm',
      fromVersion: '1.0.0',
      toVersion: '1.2.0',
      origin: 'cli',
      requestedBy: 'cli:tester',
    });
    const path = ['queued', 'validating', 'applying', 'verifying', 'rolling-back'];
    for (let i = 1; i <= path.indexOf(state); i += 1) {
      await h.journal.transition(record.id, path[i - 1] as 'queued', path[i] as 'validating', {
        facts: path[i] === 'applying' ? { previous: '1.0.0' } : {},
      });
    }
    h.updater.live = live;
    const [entry] = await reconcile(h.deps, { timeoutMs: 60_000 });
    return { ...h, entry, record: await h.journal.getUpdate(record.id) };
  }

  it('cancels records interrupted before anything changed', async () => {
    expect((await interruptedAt('queued', '1.0.0')).record?.state).toBe('cancelled');
    expect((await interruptedAt('validating', '1.0.0')).record?.state).toBe('cancelled');
  });

  it.each([
    ['applying', '1.0.0', 'failed', 'is still on the previous version: nothing to undo'],
    ['applying', '1.2.0', 'succeeded', 'has the target in place: verified and kept'],
    ['applying', '1.1.5-partial', 'rolled-back', 'is in an unknown state: rolled back'],
    ['verifying', '1.0.0', 'rolled-back', 'is found on the previous version: nothing to undo'],
    ['rolling-back', '1.0.0', 'rolled-back', 'was rolled back before the interruption: not redone'],
    ['rolling-back', '1.2.0', 'rolled-back', 'was being rolled back: the rollback is finished'],
  ] as const)('settles a %s record whose asset runs %s as %s (it %s)', async (state, live, settled, _why) => {
    const { record, updater } = await interruptedAt(state, live);
    expect(record?.state).toBe(settled);
    expect(updater.live).toBe(settled === 'succeeded' ? '1.2.0' : '1.0.0');
    const rollbacks = updater.calls.filter((c) => c.startsWith('rollback')).length;
    expect(rollbacks).toBe(live === '1.0.0' ? 0 : settled === 'rolled-back' ? 1 : 0);
  });

  it('skips records whose lease a live process holds', async () => {
    const h = await harness();
    const asset = testAsset('1.0.0');
    await h.journal.upsertAssets([asset], h.clock.now());
    await h.journal.createUpdate({
      assetId: asset.id,
      assetKind: 'helm',
      fromVersion: '1.0.0',
      toVersion: '1.2.0',
      origin: 'cli',
      requestedBy: 'cli:tester',
    });
    await h.journal.tryAcquireLease(assetLeaseName(asset.id), 'other-host:1:x', 30_000, h.clock.now());
    const [entry] = await reconcile(h.deps, { timeoutMs: 60_000 });
    expect(entry?.skipped).toMatch(/another safe-updater process/);
  });
});

describe('runManualRollback', () => {
  it('is journaled, remembers the version left behind, and automation does not undo it', async () => {
    const { journal, updater, deps, request, states, audit } = await harness('1.1.0');
    const result = await runManualRollback(deps, {
      asset: testAsset('1.1.0'),
      target: { version: '1.0.0' },
      rollbackTo: { previous: '1.0.0' },
      origin: 'cli',
      requestedBy: 'cli:alice',
      timeoutMs: 60_000,
    });
    expect(result.outcome).toBe('succeeded');
    expect(updater.live).toBe('1.0.0');
    expect(await states(result.record?.id)).toEqual([
      'queued',
      'validating',
      'applying',
      'verifying',
      'succeeded',
    ]);
    expect(result.record?.facts.workflow).toMatchObject({ kind: 'manual-rollback' });
    expect(await journal.failedVersions('helm/demo/web')).toMatchObject([
      { version: '1.1.0', reason: 'manually rolled back by cli:alice' },
    ]);
    expect(await audit()).toContain('update.manual-rollback');
    await expect(runUpdate(deps, request('1.1.0'))).rejects.toThrow(/already failed/);
  });
});

describe('a queued record (the daemon queue in the journal)', () => {
  async function queue(
    journal: Journal,
    version: string,
    from = '1.0.0',
  ): Promise<{ id: string; facts: Record<string, unknown> }> {
    await journal.upsertAssets([testAsset(from)], new Date());
    return journal.createUpdate({
      assetId: 'helm/demo/web',
      assetKind: 'helm',
      fromVersion: from,
      toVersion: version,
      origin: 'daemon',
      requestedBy: 'daemon',
      facts: { queue: { priority: 1, namespace: 'demo', dependsOn: [] } },
    });
  }

  it('runs the queued record itself: no second record, same id, terminal', async () => {
    const { journal, deps, request, states } = await harness();
    const queued = await queue(journal, '1.1.0');
    const result = await runUpdate(deps, request('1.1.0', { origin: 'daemon', queuedId: queued.id }));
    expect(result.outcome).toBe('succeeded');
    expect(result.record?.id).toBe(queued.id);
    expect(await journal.listUpdates({ assetId: 'helm/demo/web' })).toHaveLength(1);
    expect(await states(queued.id)).toEqual(['queued', 'validating', 'applying', 'verifying', 'succeeded']);
  });

  it('does nothing with a record cancelled after it was queued', async () => {
    const { journal, deps, request, updater, clock } = await harness();
    const queued = await queue(journal, '1.1.0');
    await cancelQueued(journal, clock, queued.id, 'cancelled by cli:alice', 'cli:alice');
    const result = await runUpdate(deps, request('1.1.0', { queuedId: queued.id }));
    expect(result.outcome).toBe('cancelled');
    expect(updater.calls.filter((call) => call.startsWith('apply'))).toEqual([]);
    expect(updater.live).toBe('1.0.0');
    // A second cancel finds nothing queued.
    expect(await cancelQueued(journal, clock, queued.id, 'again', 'cli:alice')).toBeUndefined();
  });

  it('cancels the record with the reason when a gate refuses it (asset paused meanwhile)', async () => {
    const { journal, deps, request, updater } = await harness();
    const queued = await queue(journal, '1.1.0');
    await journal.setPaused('helm/demo/web', true, 'maintenance', 'cli:alice');
    await expect(runUpdate(deps, request('1.1.0', { queuedId: queued.id }))).rejects.toBeInstanceOf(
      PolicyError,
    );
    const record = await journal.getUpdate(queued.id);
    expect(record).toMatchObject({ state: 'cancelled' });
    expect(record?.reason).toMatch(/paused: maintenance/);
    expect(updater.live).toBe('1.0.0');
  });

  it('cancels the record when the asset moved while it waited', async () => {
    const { journal, deps, request, updater } = await harness('1.0.5');
    const queued = await queue(journal, '1.1.0', '1.0.0');
    const result = await runUpdate(deps, request('1.1.0', { queuedId: queued.id }));
    expect(result.outcome).toBe('cancelled');
    expect(result.record?.reason).toBe(
      'helm/demo/web changed from 1.0.0 to 1.0.5 while the update was queued',
    );
    expect(updater.live).toBe('1.0.5');
  });

  it('is left to the daemon by reconciliation, and named by the refusal of a CLI update', async () => {
    const { journal, deps, request } = await harness();
    const queued = await queue(journal, '1.1.0');
    const entries = await reconcile(deps, { timeoutMs: 60_000 });
    expect(entries).toEqual([
      expect.objectContaining({ updateId: queued.id, skipped: "waiting in the daemon's queue" }),
    ]);
    expect((await journal.getUpdate(queued.id))?.state).toBe('queued');
    const refused = runUpdate(deps, request('1.1.0'));
    await expect(refused).rejects.toBeInstanceOf(ConflictError);
    await expect(refused).rejects.toThrow(/waiting in the daemon's queue/);
  });
});
