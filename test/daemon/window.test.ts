/**
 * An update window on the real environment: a Deployment whose policy allows minor updates only inside a
 * window (cron of the minutes in which updates may start) that opens at the next whole minute. The real
 * `watch` checks every few seconds: before the window opens it queues and starts nothing (its checks see the
 * update and say why not); once it opens, the update starts, verifies and succeeds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openJournal } from '../../src/state/journal.js';
import { waitForDeployment } from '../e2e/support.js';
import { clients, createNamespace, pollUntil } from '../kubernetes/cluster.js';
import {
  createDaemonWorkspace,
  deployApp,
  tearDown,
  waitForExit,
  type DaemonProcess,
  type DaemonWorkspace,
} from './support.js';

const kube = clients();

/** The next whole minute at least `leadMs` away: there the window opens. */
function nextOpening(leadMs: number): Date {
  const minute = 60_000;
  return new Date(Math.ceil((Date.now() + leadMs) / minute) * minute);
}

describe('an update window on the kwok cluster', () => {
  let ns: string;
  let ws: DaemonWorkspace;
  let daemon: DaemonProcess;
  let opensAt: Date;

  beforeAll(async () => {
    ns = await createNamespace(kube, 'window');
    await deployApp(ns, { 'safe-updater.io/policy': 'windowed' });
    // Room for a few checks while the window is closed.
    opensAt = nextOpening(30_000);
    const minute = opensAt.getUTCMinutes();
    ws = createDaemonWorkspace([ns], {
      policies: {
        windowed: {
          allow: ['minor', 'patch'],
          windows: [{ cron: `${minute}-${(minute + 4) % 60} * * * *`, timezone: 'UTC' }],
        },
      },
      rollback: { timeout: '2m', monitor: '1s' },
    });
    daemon = ws.start(['watch', '--interval', '3s']);
  });

  afterAll(() => tearDown({ daemon, ws, namespace: ns }));

  it('starts nothing while the window is closed, then updates once it opens', async () => {
    const journal = await openJournal(`sqlite://${ws.statePath}`);
    try {
      const checksBefore = await pollUntil(
        'checks while the window is closed',
        async () => {
          const cycles = (await journal.auditEvents({ limit: 1000 })).filter(
            (e) => e.type === 'daemon.cycle',
          );
          return cycles.length >= 2 ? cycles : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      expect(Date.now()).toBeLessThan(opensAt.getTime());
      // The checks saw the asset and queued nothing.
      for (const check of checksBefore) expect(check.data).toMatchObject({ assets: 1, enqueued: [] });
      expect(await journal.listUpdates()).toEqual([]);

      const [record] = await pollUntil(
        'the update to succeed after the window opened',
        async () => {
          const records = await journal.listUpdates();
          return records[0]?.state === 'succeeded' ? records : undefined;
        },
        { timeoutMs: 180_000, intervalMs: 1_000 },
      );
      expect(record).toMatchObject({ fromVersion: '1.0.0', toVersion: '1.2.0', origin: 'daemon' });
      const started = (await journal.transitions(record?.id ?? '')).find((t) => t.to === 'validating');
      expect(started?.at.getTime()).toBeGreaterThanOrEqual(opensAt.getTime());
      await waitForDeployment(ns, 'app', '1.2.0');
    } finally {
      await journal.close();
    }
    daemon.child.kill('SIGTERM');
    expect((await waitForExit(daemon, 120_000)).code, daemon.stderr()).toBe(0);
  });
});
