/**
 * The journal contract (src/state/types.ts) on SQLite in memory, SQLite in a file and a real PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { ConflictError, NotFoundError } from '../../src/core/errors.js';
import { canTransition, nextStates, UPDATE_STATES, type UpdateState } from '../../src/core/update-state.js';
import { IllegalTransitionError } from '../../src/state/journal.js';
import type { Journal, UpdateRecord } from '../../src/state/types.js';
import { ALL_BACKENDS, uniqueName, type Store } from './backends.js';

/** The shortest path of states from queued to `target`. */
function pathTo(target: UpdateState): UpdateState[] {
  const queue: UpdateState[][] = [['queued']];
  while (queue.length > 0) {
    const path = queue.shift() ?? [];
    const last = path[path.length - 1] ?? 'queued';
    if (last === target) return path;
    for (const next of nextStates(last)) if (!path.includes(next)) queue.push([...path, next]);
  }
  throw new Error(`${target} is unreachable from queued`);
}

const LEGAL = UPDATE_STATES.flatMap((from) => nextStates(from).map((to) => [from, to] as const));
const ILLEGAL = UPDATE_STATES.flatMap((from) =>
  UPDATE_STATES.filter((to) => !canTransition(from, to)).map((to) => [from, to] as const),
);

describe.each(ALL_BACKENDS)('journal on $name', (backend) => {
  let store: Store;
  let journal: Journal;
  let clock: ManualClock;

  beforeEach(async () => {
    store = await backend.create();
    clock = new ManualClock(new Date('2026-03-01T10:00:00.000Z'));
    journal = await store.open({ clock });
  });

  afterEach(async () => {
    await journal.close();
    await store.cleanup();
  });

  let counter = 0;
  const newAssetId = (): string => `helm/${uniqueName('ns')}/web-${++counter}`;

  async function updateIn(state: UpdateState): Promise<UpdateRecord> {
    let record = await journal.createUpdate({
      assetId: newAssetId(),
      assetKind: 'helm',
      fromVersion: '1.0.0',
      toVersion: '1.1.0',
      origin: 'cli',
      requestedBy: 'tester',
    });
    const path = pathTo(state);
    for (let i = 1; i < path.length; i++) {
      record = await journal.transition(record.id, path[i - 1] as UpdateState, path[i] as UpdateState);
    }
    return record;
  }

  it('migrates idempotently', async () => {
    await journal.migrate();
    await journal.migrate();
    expect(await journal.listUpdates()).toEqual([]);
  });

  it('creates an update in queued with its first transition timestamped', async () => {
    const record = await journal.createUpdate({
      assetId: 'helm/default/web',
      assetKind: 'helm',
      fromVersion: '1.0.0',
      fromDigest: 'sha256:aaa',
      toVersion: '1.1.0',
      origin: 'daemon',
      requestedBy: 'daemon',
    });
    expect(record).toMatchObject({
      assetId: 'helm/default/web',
      state: 'queued',
      fromDigest: 'sha256:aaa',
      toDigest: null,
      origin: 'daemon',
      facts: {},
      reason: null,
    });
    expect(record.createdAt.toISOString()).toBe('2026-03-01T10:00:00.000Z');
    expect(await journal.transitions(record.id)).toEqual([
      {
        updateId: record.id,
        from: null,
        to: 'queued',
        at: new Date('2026-03-01T10:00:00.000Z'),
        message: null,
      },
    ]);
  });

  it.each(LEGAL)('allows %s → %s and records it', async (from, to) => {
    const record = await updateIn(from);
    clock.advance(1500);
    const moved = await journal.transition(record.id, from, to, { message: `to ${to}` });
    expect(moved.state).toBe(to);
    expect(moved.updatedAt).toEqual(clock.now());
    expect((await journal.getUpdate(record.id))?.state).toBe(to);
    const trail = await journal.transitions(record.id);
    expect(trail.map((t) => t.to)).toEqual([...pathTo(from), to]);
    expect(trail[trail.length - 1]).toEqual({
      updateId: record.id,
      from,
      to,
      at: clock.now(),
      message: `to ${to}`,
    });
  });

  it('rejects every illegal transition and leaves the record as it was', async () => {
    const records = new Map<UpdateState, UpdateRecord>();
    for (const state of UPDATE_STATES) records.set(state, await updateIn(state));
    for (const [from, to] of ILLEGAL) {
      const record = records.get(from) as UpdateRecord;
      await expect(journal.transition(record.id, from, to), `${from} → ${to}`).rejects.toBeInstanceOf(
        IllegalTransitionError,
      );
    }
    for (const [state, record] of records) {
      expect((await journal.getUpdate(record.id))?.state).toBe(state);
      expect(await journal.transitions(record.id)).toHaveLength(pathTo(state).length);
    }
    expect(ILLEGAL.length).toBeGreaterThan(50);
  });

  it('refuses a transition from a state the record is not in (compare-and-set)', async () => {
    const record = await updateIn('validating');
    await expect(journal.transition(record.id, 'queued', 'cancelled')).rejects.toBeInstanceOf(ConflictError);
    expect((await journal.getUpdate(record.id))?.state).toBe('validating');
  });

  it('lets exactly one of two racing writers move a record', async () => {
    const record = await updateIn('queued');
    const results = await Promise.allSettled([
      journal.transition(record.id, 'queued', 'validating'),
      journal.transition(record.id, 'queued', 'cancelled'),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected');
    expect(rejected?.status === 'rejected' && rejected.reason).toBeInstanceOf(ConflictError);
    expect(await journal.transitions(record.id)).toHaveLength(2);
  });

  it('reports a missing update as not found', async () => {
    await expect(journal.transition('no-such-id', 'queued', 'validating')).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect(await journal.getUpdate('no-such-id')).toBeUndefined();
  });

  it('merges facts and keeps the reason with the transition', async () => {
    const record = await updateIn('validating');
    await journal.transition(record.id, 'validating', 'applying', { facts: { revision: 3, image: 'a:1' } });
    await journal.transition(record.id, 'applying', 'verifying', { facts: { revision: 4 } });
    const failed = await journal.transition(record.id, 'verifying', 'rolling-back', {
      reason: 'CrashLoopBackOff in pod web-1 container app',
    });
    expect(failed.facts).toEqual({ revision: 4, image: 'a:1' });
    expect(failed.reason).toBe('CrashLoopBackOff in pod web-1 container app');
  });

  it('allows one active update per asset, and a new one after it finished', async () => {
    const first = await updateIn('applying');
    const again = {
      assetId: first.assetId,
      assetKind: 'helm' as const,
      fromVersion: '1.0.0',
      toVersion: '1.2.0',
      origin: 'cli' as const,
      requestedBy: 'tester',
    };
    await expect(journal.createUpdate(again)).rejects.toBeInstanceOf(ConflictError);
    await journal.transition(first.id, 'applying', 'failed');
    const second = await journal.createUpdate(again);
    expect(second.state).toBe('queued');
  });

  it('lists updates newest first with filters, and the newest per asset', async () => {
    const a = await updateIn('succeeded');
    const b = await updateIn('failed');
    const a2 = await journal.createUpdate({
      assetId: a.assetId,
      assetKind: 'helm',
      fromVersion: '1.1.0',
      toVersion: '1.2.0',
      origin: 'daemon',
      requestedBy: 'daemon',
    });
    expect((await journal.listUpdates()).map((u) => u.id)).toEqual([a2.id, b.id, a.id]);
    expect((await journal.listUpdates({ assetId: a.assetId })).map((u) => u.id)).toEqual([a2.id, a.id]);
    expect((await journal.listUpdates({ states: ['failed', 'queued'] })).map((u) => u.id)).toEqual([
      a2.id,
      b.id,
    ]);
    expect(await journal.listUpdates({ states: [] })).toEqual([]);
    expect((await journal.listUpdates({ limit: 1 })).map((u) => u.id)).toEqual([a2.id]);
    const latest = await journal.latestUpdatePerAsset();
    expect(latest.size).toBe(2);
    expect(latest.get(a.assetId)?.id).toBe(a2.id);
    expect(latest.get(b.assetId)?.id).toBe(b.id);
  });

  it('keeps assets, their snapshot and their paused flag across scans', async () => {
    const asset = {
      id: 'docker/local/nginx',
      kind: 'docker' as const,
      name: 'nginx',
      namespace: 'local',
      current: { version: '1.0.0' },
      labels: {},
      annotations: {},
      policy: 'minor',
      healthChecks: [],
    };
    await journal.upsertAssets([asset], clock.now());
    await journal.setPaused(asset.id, true, 'migration running', 'cli:alice');
    clock.advance(60_000);
    await journal.upsertAssets([{ ...asset, current: { version: '1.1.0' } }], clock.now());
    const row = await journal.getAsset(asset.id);
    expect(row).toMatchObject({ paused: true, pausedReason: 'migration running', lastSeenAt: clock.now() });
    expect(row?.snapshot?.current.version).toBe('1.1.0');
    await journal.setPaused(asset.id, false, null, 'cli:bob');
    expect(await journal.getAsset(asset.id)).toMatchObject({ paused: false, pausedReason: null });
    const events = await journal.auditEvents({ assetId: asset.id });
    expect(events.map((e) => [e.type, e.actor])).toEqual([
      ['asset.resumed', 'cli:bob'],
      ['asset.paused', 'cli:alice'],
    ]);
  });

  it('pauses an asset that no scan has recorded yet, from its id', async () => {
    await journal.setPaused('k8s/prod/deployment/api/container/app', true, null, 'cli:alice');
    expect(await journal.listAssets()).toMatchObject([
      {
        id: 'k8s/prod/deployment/api/container/app',
        kind: 'kubernetes',
        namespace: 'prod',
        name: 'api',
        paused: true,
      },
    ]);
  });

  it('remembers failed versions until they are forgotten', async () => {
    const assetId = newAssetId();
    await journal.rememberFailedVersion({
      assetId,
      version: '1.2.0',
      digest: null,
      reason: 'crashloop',
      at: clock.now(),
    });
    await journal.rememberFailedVersion({
      assetId,
      version: '1.2.0',
      digest: null,
      reason: 'again',
      at: clock.now(),
    });
    await journal.rememberFailedVersion({
      assetId,
      version: '1.3.0',
      digest: 'sha256:b',
      reason: 'unready',
      at: clock.now(),
    });
    expect((await journal.failedVersions(assetId)).map((f) => [f.version, f.reason])).toEqual([
      ['1.2.0', 'again'],
      ['1.3.0', 'unready'],
    ]);
    expect(await journal.forgetFailedVersions(assetId)).toBe(2);
    expect(await journal.failedVersions(assetId)).toEqual([]);
  });

  it('counts automatic rollbacks of an asset within a window', async () => {
    const first = await updateIn('verifying');
    const assetId = first.assetId;
    await journal.transition(first.id, 'verifying', 'rolling-back');
    await journal.transition(first.id, 'rolling-back', 'rolled-back');
    clock.advance(30 * 60_000);
    const since = clock.now();
    for (let i = 0; i < 2; i++) {
      let record = await journal.createUpdate({
        assetId,
        assetKind: 'helm',
        fromVersion: '1.0.0',
        toVersion: `1.${i + 2}.0`,
        origin: 'daemon',
        requestedBy: 'daemon',
      });
      for (const [from, to] of [
        ['queued', 'validating'],
        ['validating', 'applying'],
        ['applying', 'rolling-back'],
        ['rolling-back', 'rolled-back'],
      ] as const) {
        record = await journal.transition(record.id, from, to);
      }
    }
    expect(await journal.countRollbacksSince(assetId, since)).toBe(2);
    expect(await journal.countRollbacksSince(assetId, new Date(0))).toBe(3);
    expect(await journal.countRollbacksSince(newAssetId(), new Date(0))).toBe(0);
  });

  it('redacts secrets in audit events', async () => {
    await journal.audit({
      at: clock.now(),
      assetId: 'helm/default/web',
      updateId: null,
      type: 'registry.login',
      actor: 'daemon',
      data: {
        registry: 'https://robot:hunter2@registry.example.com/v2/',
        password: 'hunter2',
        nested: { token: 'abc' },
      },
    });
    const [event] = await journal.auditEvents({ assetId: 'helm/default/web' });
    expect(JSON.stringify(event?.data)).not.toContain('hunter2');
    expect(event?.data).toEqual({
      registry: 'https://robot:[redacted]@registry.example.com/v2/',
      password: '[redacted]',
      nested: { token: '[redacted]' },
    });
  });

  it('decides a pending approval once, with an audit event', async () => {
    const assetId = newAssetId();
    const approval = await journal.createApproval({
      id: uniqueName('ap'),
      assetId,
      toVersion: '2.0.0',
      requestedAt: clock.now(),
      deadline: null,
    });
    expect(approval.state).toBe('pending');
    expect(await journal.listApprovals({ state: 'pending', assetId })).toHaveLength(1);
    const decided = await journal.decideApproval(approval.id, 'approved', 'cli:alice', 'OPS-42');
    expect(decided).toMatchObject({
      state: 'approved',
      decidedBy: 'cli:alice',
      comment: 'OPS-42',
      decidedAt: clock.now(),
    });
    await expect(journal.decideApproval(approval.id, 'rejected', 'cli:bob')).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(journal.decideApproval('no-such', 'approved', 'cli:bob')).rejects.toBeInstanceOf(
      NotFoundError,
    );
    const types = (await journal.auditEvents({ assetId })).map((e) => e.type);
    expect(types).toEqual(['approval.granted', 'approval.requested']);
  });

  it('hands out due notifications and records attempts', async () => {
    await journal.enqueueNotification('slack', 'update.rolled-back', { assetId: 'a' }, clock.now());
    await journal.enqueueNotification(
      'webhook',
      'update.succeeded',
      { assetId: 'b' },
      new Date(clock.now().getTime() + 60_000),
    );
    const [due, ...rest] = await journal.dueNotifications(clock.now(), 10);
    expect(rest).toEqual([]);
    expect(due).toMatchObject({
      channel: 'slack',
      event: 'update.rolled-back',
      payload: { assetId: 'a' },
      attempts: 0,
    });
    const retryAt = new Date(clock.now().getTime() + 5_000);
    await journal.markNotification(due?.id ?? -1, { error: 'HTTP 500', nextAttemptAt: retryAt });
    expect(await journal.dueNotifications(clock.now(), 10)).toEqual([]);
    clock.advance(70_000);
    const again = await journal.dueNotifications(clock.now(), 10);
    expect(again.map((m) => [m.channel, m.attempts, m.lastError])).toEqual([
      ['slack', 1, 'HTTP 500'],
      ['webhook', 0, null],
    ]);
    for (const message of again) await journal.markNotification(message.id, { deliveredAt: clock.now() });
    expect(await journal.dueNotifications(clock.now(), 10)).toEqual([]);
  });

  it('gives a lease to one holder until it expires or is released', async () => {
    const name = newAssetId();
    const t0 = clock.now();
    expect(await journal.tryAcquireLease(name, 'a', 10_000, t0)).toBe(true);
    expect(await journal.tryAcquireLease(name, 'b', 10_000, t0)).toBe(false);
    expect(await journal.tryAcquireLease(name, 'a', 10_000, new Date(t0.getTime() + 5_000))).toBe(true);
    expect(await journal.getLease(name)).toEqual({
      name,
      holder: 'a',
      expiresAt: new Date(t0.getTime() + 15_000),
    });
    expect(await journal.tryAcquireLease(name, 'b', 10_000, new Date(t0.getTime() + 14_999))).toBe(false);
    expect(await journal.tryAcquireLease(name, 'b', 10_000, new Date(t0.getTime() + 15_000))).toBe(true);
    expect((await journal.getLease(name))?.holder).toBe('b');
    await journal.releaseLease(name, 'a');
    expect((await journal.getLease(name))?.holder).toBe('b');
    await journal.releaseLease(name, 'b');
    expect(await journal.getLease(name)).toBeUndefined();
    expect(await journal.tryAcquireLease(name, 'a', 10_000, t0)).toBe(true);
  });

  it('lets exactly one of many racing callers take a free lease', async () => {
    const name = newAssetId();
    const results = await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map((holder) => journal.tryAcquireLease(name, holder, 10_000, clock.now())),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});
