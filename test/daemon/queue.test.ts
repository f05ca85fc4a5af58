/**
 * The daemon's update queue on the real environment: 20 annotated Deployments in the kwok cluster, each with
 * a minor update available, one `safe-updater watch` process with `orchestrator.maxConcurrent: 2`.
 * The journal's transitions are the recorded intervals: from `validating` (the update starts) to its
 * terminal state. They must show never more than 2 in flight (and 2 reached); security before bugfix before
 * feature; a `safe-updater.io/depends-on` dependency started only after its dependency succeeded; a
 * cancelled update (API) never runs; a paused asset (API) stays queued until it is resumed, then runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openJournal } from '../../src/state/journal.js';
import type { Transition, UpdateRecord } from '../../src/state/types.js';
import { waitForDeployment } from '../e2e/support.js';
import { clients, createNamespace, createWorkload, demoImage, pollUntil } from '../kubernetes/cluster.js';
import {
  API_TOKEN,
  createDaemonWorkspace,
  tearDown,
  waitForExit,
  type DaemonProcess,
  type DaemonWorkspace,
} from './support.js';

const kube = clients();
const COUNT = 20;
const names = Array.from({ length: COUNT }, (_, i) => `d${String(i + 1).padStart(2, '0')}`);
const SECURITY = ['d05', 'd17', 'd18', 'd19', 'd20'];
const BUGFIX = ['d13', 'd14', 'd15', 'd16'];
/** d05 (security) depends on d01 (feature): it must wait for d01 despite its priority. */
const DEPENDENT = 'd05';
const DEPENDENCY = 'd01';
const CANCELLED = 'd10';
const PAUSED = 'd11';

function priorityOf(name: string): string | undefined {
  if (SECURITY.includes(name)) return 'security';
  if (BUGFIX.includes(name)) return 'bugfix';
  return undefined;
}

async function post(
  url: string,
  body: Record<string, unknown> = {},
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

interface Interval {
  name: string;
  record: UpdateRecord;
  start: number;
  end: number;
}

describe('the daemon queue: 20 updates, at most 2 at a time, on the kwok cluster', () => {
  let ns: string;
  let ws: DaemonWorkspace;
  let daemon: DaemonProcess;
  let url: string;
  const assetId = (name: string): string => `k8s/${ns}/deployment/${name}/container/app`;
  const nameOf = (id: string): string => id.split('/')[3] ?? id;

  async function records(): Promise<UpdateRecord[]> {
    const journal = await openJournal(`sqlite://${ws.statePath}`);
    try {
      return await journal.listUpdates();
    } finally {
      await journal.close();
    }
  }

  async function transitionsOf(ids: string[]): Promise<Map<string, Transition[]>> {
    const journal = await openJournal(`sqlite://${ws.statePath}`);
    try {
      return new Map(await Promise.all(ids.map(async (id) => [id, await journal.transitions(id)] as const)));
    } finally {
      await journal.close();
    }
  }

  beforeAll(async () => {
    ns = await createNamespace(kube, 'queue');
    for (const name of names) {
      const priority = priorityOf(name);
      await createWorkload(kube, {
        kind: 'Deployment',
        namespace: ns,
        name,
        image: demoImage('1.0.0'),
        annotations: {
          'safe-updater.io/policy': 'minor',
          ...(priority ? { 'safe-updater.io/priority': priority } : {}),
          ...(name === DEPENDENT ? { 'safe-updater.io/depends-on': `deployment/${DEPENDENCY}` } : {}),
        },
      });
    }
    for (const name of names) await waitForDeployment(ns, name, '1.0.0');
    ws = createDaemonWorkspace([ns], {
      orchestrator: { maxConcurrent: 2 },
      rollback: { timeout: '2m', monitor: '1s' },
    });
    daemon = ws.start(['watch', '--interval', '1h', '--listen', '127.0.0.1:0']);
    url = await daemon.url();
  }, 600_000);

  afterAll(() => tearDown({ daemon, ws, namespace: ns }));

  it('queues all 20 in the journal; a cancelled one never runs, a paused one waits', async () => {
    const queued = await pollUntil(
      'the start check to queue 20 updates',
      async () => {
        const all = await records();
        return all.length >= COUNT ? all : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    expect(queued).toHaveLength(COUNT);
    expect(new Set(queued.map((r) => r.toVersion))).toEqual(new Set(['1.2.0']));
    const byName = new Map(queued.map((r) => [nameOf(r.assetId), r]));
    // Features run last (security and bugfix first), so these two are still queued now.
    const cancel = await post(`${url}/api/v1/updates/${byName.get(CANCELLED)?.id ?? ''}/cancel`, {
      reason: 'not this one',
    });
    expect(cancel.status, JSON.stringify(cancel.body)).toBe(200);
    const pause = await post(`${url}/api/v1/assets/${assetId(PAUSED)}/pause`, { reason: 'hold' });
    expect(pause.status, JSON.stringify(pause.body)).toBe(200);

    const settled = await pollUntil(
      'every other update to finish',
      async () => {
        const all = await records();
        const open = all.filter((r) => !['succeeded', 'cancelled'].includes(r.state));
        return open.length === 1 && open[0]?.assetId === assetId(PAUSED) ? all : undefined;
      },
      { timeoutMs: 420_000, intervalMs: 1_000 },
    );
    const state = (name: string) => settled.find((r) => r.assetId === assetId(name));
    expect(state(CANCELLED)).toMatchObject({ state: 'cancelled', reason: 'not this one' });
    expect(state(PAUSED)).toMatchObject({ state: 'queued' });
    expect(settled.filter((r) => r.state === 'succeeded')).toHaveLength(COUNT - 2);
    await waitForDeployment(ns, CANCELLED, '1.0.0');
    await waitForDeployment(ns, PAUSED, '1.0.0');

    const resume = await post(`${url}/api/v1/assets/${assetId(PAUSED)}/resume`);
    expect(resume.status).toBe(200);
    await pollUntil(
      'the resumed update to succeed',
      async () => (await records()).find((r) => r.assetId === assetId(PAUSED) && r.state === 'succeeded'),
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    await waitForDeployment(ns, PAUSED, '1.2.0');
  });

  it('recorded intervals: never more than 2 in flight, priorities and the dependency honoured', async () => {
    const ran = (await records()).filter((r) => r.state === 'succeeded');
    expect(ran).toHaveLength(COUNT - 1);
    const transitions = await transitionsOf(ran.map((r) => r.id));
    const intervals: Interval[] = ran.map((record) => {
      const list = transitions.get(record.id) ?? [];
      const start = list.find((t) => t.to === 'validating')?.at.getTime();
      const end = list.find((t) => t.to === 'succeeded')?.at.getTime();
      if (start === undefined || end === undefined) throw new Error(`${record.id}: no start or end recorded`);
      return { name: nameOf(record.assetId), record, start, end };
    });

    // Sweep over the start and end instants: an end at the same instant as a start frees its slot first.
    const events = intervals
      .flatMap((i) => [
        { at: i.start, delta: 1 },
        { at: i.end, delta: -1 },
      ])
      .sort((a, b) => a.at - b.at || a.delta - b.delta);
    let inFlight = 0;
    let most = 0;
    for (const event of events) {
      inFlight += event.delta;
      most = Math.max(most, inFlight);
    }
    expect(most).toBe(2);

    const order = [...intervals].sort((a, b) => a.start - b.start).map((i) => i.name);
    // The 4 security updates without dependencies start first, then the 4 bugfixes, then the features.
    expect(new Set(order.slice(0, 4))).toEqual(new Set(SECURITY.filter((n) => n !== DEPENDENT)));
    expect(new Set(order.slice(4, 8))).toEqual(new Set(BUGFIX));
    const interval = (name: string): Interval => {
      const found = intervals.find((i) => i.name === name);
      if (!found) throw new Error(`${name} did not run`);
      return found;
    };
    // The security update that depends on a feature update starts only after that one succeeded.
    expect(interval(DEPENDENT).start).toBeGreaterThanOrEqual(interval(DEPENDENCY).end);
    // …and, once free, ahead of the features still waiting: among the next two starts (two slots).
    const next = order.filter((name) => interval(name).start >= interval(DEPENDENCY).end).slice(0, 2);
    expect(next).toContain(DEPENDENT);
  });

  it('stops on SIGTERM with exit code 0, nothing left unfinished', async () => {
    daemon.child.kill('SIGTERM');
    expect(await waitForExit(daemon, 120_000)).toEqual({ code: 0, signal: null });
    const all = await records();
    expect(all.filter((r) => !['succeeded', 'cancelled'].includes(r.state))).toEqual([]);
  });
});
