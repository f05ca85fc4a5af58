/**
 * Two `watch` daemons on one journal (the journal lease, as replicas without a cluster Lease use it): only
 * one leads; SIGTERM to the leader releases the lease and the other takes over.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { clients, createNamespace, deleteNamespace, pollUntil } from '../kubernetes/cluster.js';
import { createDaemonWorkspace, getJson, waitForExit, type DaemonWorkspace } from './support.js';

const kube = clients();

async function leading(url: string): Promise<boolean | undefined> {
  const { status, body } = await getJson(`${url}/readyz`);
  return status === 200 ? (body as { leader: boolean }).leader : undefined;
}

describe('two daemons on one journal', () => {
  let ns: string | undefined;
  let ws: DaemonWorkspace | undefined;
  afterAll(async () => {
    ws?.cleanup();
    if (ns) await deleteNamespace(kube, ns).catch(() => undefined);
  });

  it('only one leads, and the other takes over when the leader stops', async () => {
    ns = await createNamespace(kube, 'daemon-leader');
    ws = createDaemonWorkspace([ns]);
    const a = ws.start(['watch', '--interval', '1h', '--listen', '127.0.0.1:0']);
    const b = ws.start(['watch', '--interval', '1h', '--listen', '127.0.0.1:0']);
    const [urlA, urlB] = await Promise.all([a.url(), b.url()]);

    const [leaderIsA] = await pollUntil(
      'exactly one daemon to lead',
      async () => {
        const [la, lb] = await Promise.all([leading(urlA), leading(urlB)]);
        return la !== undefined && lb !== undefined && la !== lb ? [la] : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    const [leader, follower, followerUrl] = leaderIsA ? [a, b, urlB] : [b, a, urlA];

    leader.child.kill('SIGTERM');
    expect((await waitForExit(leader, 120_000)).code, leader.stderr()).toBe(0);
    await pollUntil(
      'the other daemon to take over',
      async () => ((await leading(followerUrl)) === true ? true : undefined),
      { timeoutMs: 120_000, intervalMs: 500 },
    );

    follower.child.kill('SIGTERM');
    expect((await waitForExit(follower, 120_000)).code, follower.stderr()).toBe(0);
  });
});
