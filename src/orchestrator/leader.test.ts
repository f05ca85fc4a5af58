import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { openJournal } from '../state/journal.js';
import type { Journal } from '../state/types.js';
import { JournalLeaseLock, LeaderElector, leaderIdentity, type LeaderLock } from './leader.js';

const LEASE_MS = 15_000;

let journal: Journal;
let clock: ManualClock;

beforeEach(async () => {
  clock = new ManualClock(new Date('2026-07-01T00:00:00Z'));
  journal = await openJournal('sqlite::memory:', { clock });
  await journal.migrate();
});

afterEach(async () => {
  await journal.close();
});

function elector(identity: string, events: string[], lock?: LeaderLock): LeaderElector {
  return new LeaderElector({
    lock: lock ?? new JournalLeaseLock({ journal, leaseDurationMs: LEASE_MS, clock }),
    identity,
    renewIntervalMs: 2_000,
    renewDeadlineMs: 10_000,
    clock,
    onStartedLeading: () => events.push(`${identity} leads`),
    onStoppedLeading: () => events.push(`${identity} stops`),
  });
}

describe('LeaderElector over the journal lease', () => {
  it('lets one of two candidates lead, and the other take over once the leader stops renewing', async () => {
    const events: string[] = [];
    const a = elector('a', events);
    const b = elector('b', events);
    expect(await a.tick()).toBe(true);
    expect(await b.tick()).toBe(false);
    // The leader renews; the follower keeps losing while the lease is fresh.
    for (let i = 0; i < 10; i += 1) {
      clock.advance(2_000);
      expect(await a.tick()).toBe(true);
      expect(await b.tick()).toBe(false);
    }
    // a stops renewing (hung or killed): b waits for the expiry, not a moment less.
    clock.advance(LEASE_MS - 1);
    expect(await b.tick()).toBe(false);
    clock.advance(1);
    expect(await b.tick()).toBe(true);
    // a comes back: it finds b holding the lease and steps down.
    expect(await a.tick()).toBe(false);
    expect(events).toEqual(['a leads', 'b leads', 'a stops']);
    expect((await journal.getLease('leader'))?.holder).toBe('b');
  });

  it('hands over at once when the leader resigns', async () => {
    const events: string[] = [];
    const a = elector('a', events);
    const b = elector('b', events);
    await a.tick();
    await a.resign();
    expect(a.isLeader()).toBe(false);
    expect(await b.tick()).toBe(true);
    expect(events).toEqual(['a leads', 'a stops', 'b leads']);
  });

  it('steps down when it cannot renew within the deadline, before its lease expires', async () => {
    const events: string[] = [];
    let reachable = true;
    const inner = new JournalLeaseLock({ journal, leaseDurationMs: LEASE_MS, clock });
    const flaky: LeaderLock = {
      description: 'flaky',
      acquireOrRenew: async (identity) => {
        if (!reachable) throw new Error('connection refused');
        return inner.acquireOrRenew(identity);
      },
      release: (identity) => inner.release(identity),
      holder: () => inner.holder(),
    };
    const a = elector('a', events, flaky);
    expect(await a.tick()).toBe(true);
    reachable = false;
    clock.advance(5_000);
    expect(await a.tick()).toBe(true);
    clock.advance(5_000);
    expect(await a.tick()).toBe(false);
    expect(events).toEqual(['a leads', 'a stops']);
    // Its lease is still valid for another 5 s: nobody else could have started yet.
    expect(await inner.holder()).toBe('a');
  });

  it('runs until aborted and then releases the lease', async () => {
    const events: string[] = [];
    const a = elector('a', events);
    const controller = new AbortController();
    let finished = false;
    const running = a.run(controller.signal).then(() => {
      finished = true;
    });
    await vi.waitFor(() => expect(a.isLeader()).toBe(true), { timeout: 20_000 });
    controller.abort();
    // The manual clock's sleep wakes only when moved.
    await vi.waitFor(
      () => {
        clock.advance(2_000);
        expect(finished).toBe(true);
      },
      { timeout: 20_000 },
    );
    await running;
    expect(a.isLeader()).toBe(false);
    expect(await journal.getLease('leader')).toBeUndefined();
  }, 60_000);

  it('makes identities unique per process and instance', () => {
    expect(leaderIdentity()).not.toBe(leaderIdentity());
    expect(leaderIdentity()).toContain(`:${process.pid}:`);
  });
});
