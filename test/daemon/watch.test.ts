/**
 * `safe-updater watch` as a real process against the kwok cluster and the local registry: the first round
 * updates an annotated Deployment to the newest minor version; /healthz, /readyz and /metrics answer (the
 * metrics parse as Prometheus text); the API refuses requests without the token; a registry webhook with
 * the right secret makes the daemon check the pushed repository at once (the interval is an hour, so only
 * the webhook can cause the second update), a wrong secret gets 401; SIGTERM ends it with exit 0 and the
 * leader lease released. `watch --once` gives its exit code by outcome.
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openJournal } from '../../src/state/journal.js';
import { loadEnvironment } from '../support/env.js';
import {
  clients,
  createNamespace,
  deleteNamespace,
  demoImage,
  pollUntil,
  workloads,
} from '../kubernetes/cluster.js';
import { waitForDeployment } from '../e2e/support.js';
import {
  API_TOKEN,
  HOOK_SECRET,
  createDaemonWorkspace,
  deployApp,
  getJson,
  tearDown,
  waitForExit,
  type DaemonProcess,
  type DaemonWorkspace,
} from './support.js';

const kube = clients();

interface UpdateRow {
  id: string;
  state: string;
  fromVersion: string;
  toVersion: string;
  origin: string;
  createdAt: string;
}

async function updatesOf(url: string, assetId: string): Promise<UpdateRow[]> {
  const { status, body } = await getJson(
    `${url}/api/v1/updates?assetId=${encodeURIComponent(assetId)}`,
    API_TOKEN,
  );
  if (status !== 200) throw new Error(`GET /api/v1/updates answered ${status}: ${JSON.stringify(body)}`);
  return (body as { updates: UpdateRow[] }).updates;
}

describe('watch: the daemon against the kwok cluster', () => {
  let ns: string;
  let ws: DaemonWorkspace;
  let daemon: DaemonProcess;
  let url: string;
  let assetId: string;

  beforeAll(async () => {
    ns = await createNamespace(kube, 'daemon');
    assetId = `k8s/${ns}/deployment/app/container/app`;
    await deployApp(ns, {
      'safe-updater.io/policy': 'minor',
      'safe-updater.io/health-check': 'registry-port',
    });
    // A check that passes (the registry's port), so the health-check latency histogram has a sample.
    const [host, port] = loadEnvironment().registries.anonymous.host.split(':');
    ws = createDaemonWorkspace([ns], {
      healthChecks: { 'registry-port': { type: 'tcp', host, port: Number(port) } },
    });
    daemon = ws.start(['watch', '--interval', '1h', '--listen', '127.0.0.1:0']);
    url = await daemon.url();
  });

  afterAll(() => tearDown({ daemon, ws, namespace: ns }));

  it('updates the Deployment to the newest minor version on its first round', async () => {
    const succeeded = await pollUntil(
      'the first update to succeed',
      async () => {
        const updates = await updatesOf(url, assetId);
        return updates.find((u) => u.state === 'succeeded');
      },
      { timeoutMs: 240_000, intervalMs: 1_000 },
    );
    expect(succeeded).toMatchObject({ fromVersion: '1.0.0', toVersion: '1.2.0', origin: 'daemon' });
    await waitForDeployment(ns, 'app', '1.2.0');
  });

  it('answers probes and metrics, and refuses the API without a token', async () => {
    expect(await getJson(`${url}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
    const ready = await getJson(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', leader: true });

    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    const families = parsePrometheusTextFormat(text);
    const byName = new Map(families.map((family) => [family.name, family]));
    expect(byName.get('safe_updater_leader')?.metrics[0]?.value).toBe('1');
    const updates = byName.get('safe_updater_updates_total');
    expect(updates?.metrics).toContainEqual(
      expect.objectContaining({ labels: { kind: 'kubernetes', result: 'succeeded' } }),
    );
    expect(byName.has('safe_updater_process_resident_memory_bytes')).toBe(true);
    // Registry answers by host and status, and the latency of the configured check.
    const registry = loadEnvironment().registries.anonymous.host;
    expect(byName.get('safe_updater_registry_requests_total')?.metrics).toContainEqual(
      expect.objectContaining({ labels: { registry, status: '200' } }),
    );
    // The parser keeps a histogram's buckets but not its labels: the labels are read from the text.
    const histogram = byName.get('safe_updater_health_check_duration_seconds')?.metrics[0];
    expect(Number(histogram?.buckets?.['+Inf'])).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(
      /^safe_updater_health_check_duration_seconds_count\{type="tcp",result="passed"\} [1-9]/m,
    );

    expect((await getJson(`${url}/api/v1/assets`)).status).toBe(401);
    expect((await getJson(`${url}/api/v1/assets`, 'not-the-token')).status).toBe(401);
    const assets = await getJson(`${url}/api/v1/assets`, API_TOKEN);
    expect(assets.status).toBe(200);
    expect((assets.body as { assets: { id: string }[] }).assets.map((a) => a.id)).toContain(assetId);
  });

  it('checks a pushed repository at once on a registry webhook with the right secret', async () => {
    const push = JSON.stringify({ repository: demoImage('1.2.0').replace(/:1\.2\.0$/, ''), tag: '1.2.0' });
    const post = (secret: string) =>
      fetch(`${url}/hooks/registry`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-webhook-secret': secret },
        body: push,
      });
    expect((await post('wrong-secret')).status).toBe(401);

    // Someone moves the Deployment back; with an interval of an hour only the webhook can bring it forward.
    await workloads(kube).patch({ kind: 'Deployment', namespace: ns, name: 'app' }, [
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: demoImage('1.0.0') },
    ]);
    await waitForDeployment(ns, 'app', '1.0.0');
    const before = (await updatesOf(url, assetId)).length;

    const accepted = await post(HOOK_SECRET);
    expect(accepted.status).toBe(202);
    const postedAt = Date.now();
    const second = await pollUntil(
      'the webhook-triggered update to succeed',
      async () => {
        const updates = await updatesOf(url, assetId);
        return updates.length > before && updates[0]?.state === 'succeeded' ? updates[0] : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 1_000 },
    );
    expect(second).toMatchObject({ fromVersion: '1.0.0', toVersion: '1.2.0', origin: 'daemon' });
    // Started long before the next poll would have (an hour); generous for a loaded machine.
    expect(new Date(second.createdAt).getTime() - postedAt).toBeLessThan(60_000);
  });

  it("checks at once on Watchtower's /v1/update trigger, refusing it without the token", async () => {
    const trigger = (token?: string) =>
      fetch(`${url}/v1/update`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    expect((await trigger()).status).toBe(401);
    await workloads(kube).patch({ kind: 'Deployment', namespace: ns, name: 'app' }, [
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: demoImage('1.0.0') },
    ]);
    await waitForDeployment(ns, 'app', '1.0.0');
    const before = (await updatesOf(url, assetId)).length;
    expect((await trigger(API_TOKEN)).status).toBe(200);
    const third = await pollUntil(
      'the triggered update to succeed',
      async () => {
        const updates = await updatesOf(url, assetId);
        return updates.length > before && updates[0]?.state === 'succeeded' ? updates[0] : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 1_000 },
    );
    expect(third).toMatchObject({ fromVersion: '1.0.0', toVersion: '1.2.0', origin: 'daemon' });
  });

  it('stops on SIGTERM with exit code 0 and releases the leader lease', async () => {
    daemon.child.kill('SIGTERM');
    const exit = await waitForExit(daemon, 120_000);
    expect(exit, daemon.stderr()).toEqual({ code: 0, signal: null });
    const journal = await openJournal(`sqlite://${ws.statePath}`);
    try {
      expect(await journal.getLease('leader')).toBeUndefined();
      const updates = await journal.listUpdates({ assetId });
      expect(updates.map((u) => u.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    } finally {
      await journal.close();
    }
  });
});

describe('watch --once', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  });

  /** A fresh namespace with Deployment `app` on 1.0.0 under `policy`. */
  async function deploymentUnder(policy: string): Promise<string> {
    const ns = await createNamespace(kube, 'daemon-once');
    cleanups.push(() => deleteNamespace(kube, ns));
    await deployApp(ns, { 'safe-updater.io/policy': policy });
    return ns;
  }

  it('exits 0 after one round that updated a Deployment', async () => {
    const ns = await deploymentUnder('patch');
    const ws = createDaemonWorkspace([ns]);
    cleanups.push(() => ws.cleanup());
    const run = ws.start(['--output', 'json', 'watch', '--once']);
    const exit = await waitForExit(run, 240_000);
    expect(exit.code, run.stderr()).toBe(0);
    const result = JSON.parse(run.stdout()) as { cycles: number; updates: Record<string, unknown>[] };
    expect(result.cycles).toBe(1);
    expect(result.updates).toEqual([
      expect.objectContaining({
        assetId: `k8s/${ns}/deployment/app/container/app`,
        outcome: 'succeeded',
        from: '1.0.0',
        to: '1.0.1',
      }),
    ]);
    await waitForDeployment(ns, 'app', '1.0.1');
  });

  it('exits 5 when the registry of an asset cannot be reached', async () => {
    const ns = await deploymentUnder('minor');
    const ws = createDaemonWorkspace([ns], {
      assets: [
        // Port 9 (discard) on loopback: nothing listens, the lookup fails at once.
        { id: `k8s/${ns}/deployment/app/container/app`, source: { image: '127.0.0.1:9/demo/app' } },
      ],
      registries: [{ host: '127.0.0.1:9', insecure: true }],
    });
    cleanups.push(() => ws.cleanup());
    const run = ws.start(['--output', 'json', 'watch', '--once']);
    const exit = await waitForExit(run, 240_000);
    expect(exit.code, run.stderr()).toBe(5);
    const result = JSON.parse(run.stdout()) as { updates: unknown[]; lastCycle: { lookupFailures: number } };
    expect(result.updates).toEqual([]);
    expect(result.lastCycle.lookupFailures).toBe(1);
  });
});
