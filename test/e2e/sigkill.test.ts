/**
 * The write-ahead promise, tested the hard way: the real CLI is killed with SIGKILL at a random moment of an
 * update (healthy targets, and crashlooping ones whose rollback can be interrupted too). After each kill a
 * restarted CLI (`history`, which settles interrupted records first) must leave nothing non-terminal, and the
 * Deployment must run the version its last record implies: the target after `succeeded`, the previous one
 * after `rolled-back`, `failed` or `cancelled`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clients,
  createNamespace,
  createWorkload,
  deleteNamespace,
  demoImage,
} from '../kubernetes/cluster.js';
import { loadEnvironment } from '../support/env.js';
import {
  collect,
  createWorkspace,
  historyUpdates,
  liveTag,
  said,
  waitForDeployment,
  type Workspace,
} from './support.js';

const TRIALS = 20;
const KILL_STATES = ['queued', 'validating', 'applying', 'verifying', 'rolling-back'];
const TERMINAL = ['succeeded', 'failed', 'rolled-back', 'rollback-failed', 'cancelled'];

describe('SIGKILL at random points of an update', () => {
  const kube = clients();
  let ns = '';
  let id = '';
  let ws: Workspace | undefined;

  beforeAll(async () => {
    ns = await createNamespace(kube, 'e2e-kill');
    id = `k8s/${ns}/deployment/api/container/app`;
    const env = loadEnvironment();
    ws = createWorkspace({
      helm: 'helm4',
      namespaces: [ns],
      defaultPolicy: 'all',
      // Interrupted updates may end rolled back often: no loop pause in this test.
      rollback: { maxRollbacks: 1000 },
      assets: [{ id, source: { image: `${env.registries.anonymous.host}/${env.fixtures.imageRepository}` } }],
    });
    await createWorkload(kube, {
      kind: 'Deployment',
      namespace: ns,
      name: 'api',
      image: demoImage('1.0.0'),
      annotations: { 'safe-updater.io/enable': 'true' },
    });
    await waitForDeployment(ns, 'api', '1.0.0');
    // The asset is known to the journal before the first kill (which may come before its first record).
    const scan = await ws.cli(['scan']);
    expect(scan.code, said(scan)).toBe(0);
  });

  afterAll(async () => {
    await ws?.cleanup();
    if (ns) await deleteNamespace(kube, ns);
  });

  it(
    `settles every interrupted update after a restart (${TRIALS} trials)`,
    { timeout: 1_200_000 },
    async () => {
      const workspace = ws as Workspace;
      const outcomes: string[] = [];
      const journal = await workspace.journal();
      for (let trial = 0; trial < TRIALS; trial += 1) {
        const current = await liveTag(ns, 'Deployment', 'api');
        const target = trial % 3 === 2 ? '1.2.0-crashloop' : current === '1.0.0' ? '1.1.0' : '1.0.0';
        const child = workspace.spawnCli(['update', id, '--to-version', target, '--force', '--retry-failed']);
        const finished = collect(child);
        // The kill point is a journal state plus a random delay, so kills land inside the update whatever
        // the machine's speed: while it validates, applies, verifies or rolls back.
        const killState = KILL_STATES[Math.floor(Math.random() * KILL_STATES.length)] as string;
        const extraMs = Math.floor(Math.random() * 1_500);
        const started = new Date();
        let exited = false;
        void finished.then(() => (exited = true));
        const reached = async (): Promise<boolean> => {
          const [latest] = await journal.listUpdates({ assetId: id, limit: 1 });
          if (!latest || latest.createdAt < started) return false;
          return (await journal.transitions(latest.id)).some((t) => t.to === killState);
        };
        const deadline = Date.now() + 300_000;
        while (!exited && Date.now() < deadline && !(await reached())) await sleep(50);
        if (!exited) await Promise.race([finished, sleep(extraMs)]);
        const killed = !exited && child.kill('SIGKILL');
        const killAfterMs = Date.now() - started.getTime();
        const first = await finished;

        const history = await workspace.cli(['history', id, '--limit', '100']);
        expect(history.code, said(history)).toBe(0);
        const updates = historyUpdates(history);
        const open = updates.filter((u) => !TERMINAL.includes(u.state));
        expect(open, `trial ${trial}: ${said(history)}`).toEqual([]);
        const last = updates[0];
        expect(last?.state).not.toBe('rollback-failed');
        const expected = last ? (last.state === 'succeeded' ? last.toVersion : last.fromVersion) : '1.0.0';
        await waitForDeployment(ns, 'api', expected);
        outcomes.push(
          `trial ${trial}: ${current}→${target} ${killed ? `killed ${extraMs} ms after ${killState} (${killAfterMs} ms)` : `exited ${String(first.code)}`}; last record ${last?.state ?? 'none'}; runs ${expected}`,
        );
      }
      console.log(outcomes.join('\n'));
      expect(outcomes).toHaveLength(TRIALS);
    },
  );
});
