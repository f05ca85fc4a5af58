/**
 * The Helm updater against the real (kwok) cluster, with Helm 3 and with Helm 4: discovery, a healthy
 * upgrade 1.0.0 → 1.1.0 keeping the release's values, an upgrade to the crashlooping chart 1.2.0 caught by
 * pod signals within seconds and rolled back to the previous revision, the dry-run diff, the OCI source,
 * a stale pending-upgrade unlocked, and names/values with shell metacharacters that never reach a shell.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, ConflictError, NotFoundError } from '../../src/core/errors.js';
import type { Asset } from '../../src/core/model.js';
import { HelmClient } from '../../src/helm/helm-client.js';
import type { KubeClients } from '../../src/kubernetes/client.js';
import { createHelmSource } from '../../src/sources/helm.js';
import { HelmUpdater } from '../../src/updaters/helm/helm-updater.js';
import type { UpdateContext } from '../../src/updaters/types.js';
import { loadEnvironment } from '../support/env.js';
import {
  clients,
  createNamespace,
  deleteNamespace,
  pollUntil,
  suffix,
  workloads,
} from '../kubernetes/cluster.js';

const TIMEOUT_MS = 150_000;
const ctx = (timeoutMs = TIMEOUT_MS): UpdateContext => ({ timeoutMs });

describe.each(['helm3', 'helm4'] as const)('Helm updater with %s', (tool) => {
  const env = loadEnvironment();
  const binary = env.tools[tool];
  const chart = env.fixtures.chart;
  const repo = env.chartRepos.anonymous;
  // Helm's cache and config in a folder of this suite's own: no state shared with other suites or the user.
  const helmHome = mkdtempSync(join(tmpdir(), `su-${tool}-`));
  const helmEnv = {
    HELM_CACHE_HOME: join(helmHome, 'cache'),
    HELM_CONFIG_HOME: join(helmHome, 'config'),
    HELM_DATA_HOME: join(helmHome, 'data'),
  };
  const marker = join(helmHome, 'pwned');
  const hostile = `$(touch ${marker}); \`touch ${marker}\` | touch ${marker}`;
  let kube: KubeClients;
  let namespace: string;
  let helm: HelmClient;

  beforeAll(() => {
    kube = clients();
    helm = new HelmClient({ binary, kubeconfig: env.kubeconfig, env: helmEnv });
  });

  beforeEach(async () => {
    namespace = await createNamespace(kube, tool);
  });

  afterEach(async () => {
    await deleteNamespace(kube, namespace);
  });

  afterAll(() => {
    expect(existsSync(marker)).toBe(false);
  });

  async function install(release: string, version: string, extra: string[] = []): Promise<void> {
    await execa(
      binary,
      [
        'install',
        release,
        chart,
        '--repo',
        repo,
        '--version',
        version,
        '--namespace',
        namespace,
        '--kubeconfig',
        env.kubeconfig,
        '--wait',
        '--timeout',
        '3m',
        ...extra,
      ],
      { env: helmEnv },
    );
  }

  function updater(options: Partial<ConstructorParameters<typeof HelmUpdater>[0]> = {}): HelmUpdater {
    return new HelmUpdater({
      helm,
      workloads: workloads(kube),
      historyMax: 10,
      pollIntervalMs: 500,
      ...options,
    });
  }

  async function discover(
    release: string,
    source: Asset['source'] | 'none',
  ): Promise<Asset & { problems: string[] }> {
    const id = `helm/${namespace}/${release}`;
    const entry =
      source === 'none' || source === undefined
        ? []
        : [
            {
              id,
              source:
                source.type === 'helm-repo'
                  ? { helmRepo: source.repoUrl, chart: source.chart }
                  : { oci: source.type === 'oci-chart' ? source.ref : '' },
              monitorOnly: false,
            },
          ];
    const result = await createHelmSource({
      helm,
      namespaces: [namespace],
      assets: entry,
      defaultPolicy: 'minor',
    }).discover();
    const asset = result.assets.find((a) => a.id === id);
    if (!asset) throw new Error(`${id} not discovered: ${JSON.stringify(result)}`);
    return { ...asset, problems: result.problems.filter((p) => p.subject === id).map((p) => p.message) };
  }

  it('discovers the release, upgrades 1.0.0 → 1.1.0 keeping its values, then catches a crashlooping 1.2.0 and rolls back', async () => {
    const release = `web-${suffix()}`;
    await install(release, '1.0.0', ['--set-string', `message=${hostile}`]);
    const bare = await discover(release, 'none');
    expect(bare.source).toBeUndefined();
    expect(bare.problems).toEqual([expect.stringContaining(`no chart source for release ${release}`)]);
    const asset = await discover(release, { type: 'helm-repo', repoUrl: repo, chart });
    expect(asset).toMatchObject({
      kind: 'helm',
      name: release,
      namespace,
      current: { version: '1.0.0' },
      policy: 'minor',
    });
    expect(asset.release).toMatchObject({ revision: 1, status: 'deployed', chart });
    expect(asset.problems).toEqual([]);

    const u = updater();
    await expect(u.validate(asset, { version: '9.9.9' }, ctx())).rejects.toThrow(NotFoundError);
    const dry = await u.dryRun(asset, { version: '1.1.0' }, ctx());
    expect(dry.diff).toMatch(/^-.*image: .*:1\.0\.0/m);
    expect(dry.diff).toMatch(/^\+.*image: .*:1\.1\.0/m);
    expect((await helm.status(release, namespace)).revision).toBe(1);

    await u.validate(asset, { version: '1.1.0' }, ctx());
    const facts = await u.prepare(asset, { version: '1.1.0' }, ctx());
    expect(facts).toMatchObject({ revision: 1, version: '1.0.0' });
    // The undo plan is journaled: the release's values (which may hold secrets) stay out of it.
    expect(facts).not.toHaveProperty('values');
    await u.apply(asset, { version: '1.1.0' }, facts, ctx());
    const healthy = await u.verify(asset, { version: '1.1.0' }, facts, ctx());
    expect(healthy.verdict, healthy.message).toBe('healthy');
    expect(await u.locate(asset, { version: '1.1.0' }, facts)).toBe('target');
    expect(await helm.getValues(release, namespace)).toEqual({ message: hostile });

    const upgraded = await u.refresh(asset);
    expect(upgraded.current.version).toBe('1.1.0');
    const badFacts = await u.prepare(upgraded, { version: '1.2.0' }, ctx());
    const started = Date.now();
    await u.apply(upgraded, { version: '1.2.0' }, badFacts, ctx());
    const bad = await u.verify(upgraded, { version: '1.2.0' }, badFacts, ctx());
    const detectedMs = Date.now() - started;
    console.log(`[measure] ${tool} crashloop chart detected in ${detectedMs} ms: ${bad.signal ?? ''}`);
    expect(bad.verdict).toBe('failed');
    expect(bad.signal).toMatch(/^(CrashLoopBackOff|RestartLoop) in pod \S+ container \S+/);

    const rollbackStarted = Date.now();
    await u.rollback(upgraded, badFacts, ctx());
    console.log(
      `[measure] ${tool} rollback to revision ${String(badFacts.revision)} healthy in ${Date.now() - rollbackStarted} ms`,
    );
    const status = await helm.status(release, namespace);
    expect(status).toMatchObject({ status: 'deployed', chartVersion: '1.1.0', revision: 4 });
    expect(await u.locate(upgraded, { version: '1.2.0' }, badFacts)).toBe('previous');
    const history = await u.history(upgraded);
    expect(history.map((r) => r.revision)).toEqual([1, 2, 3, 4]);
    expect(history[3]?.description).toMatch(/Rollback to 2/);
  });

  it('upgrades from an OCI chart source', async () => {
    const release = `oci-${suffix()}`;
    await install(release, '1.0.0');
    const ref = `${env.ociCharts}/${chart}`;
    const asset = await discover(release, { type: 'oci-chart', ref, chart });
    const u = updater({ chartAccess: () => ({ plainHttp: true }) });
    await u.validate(asset, { version: '1.1.0' }, ctx());
    const facts = await u.prepare(asset, { version: '1.1.0' }, ctx());
    await u.apply(asset, { version: '1.1.0' }, facts, ctx());
    const health = await u.verify(asset, { version: '1.1.0' }, facts, ctx());
    expect(health.verdict, health.message).toBe('healthy');
    expect((await helm.status(release, namespace)).chartVersion).toBe('1.1.0');
  });

  it('unlocks a stale pending-upgrade left by a killed helm, only as the lock holder', async () => {
    const release = `stuck-${suffix()}`;
    await install(release, '1.0.0');
    // A helm killed mid-upgrade (waiting for the never-ready 1.3.0) leaves the release pending-upgrade.
    const child = execa(
      binary,
      [
        'upgrade',
        release,
        chart,
        '--repo',
        repo,
        '--version',
        '1.3.0',
        '--namespace',
        namespace,
        '--kubeconfig',
        env.kubeconfig,
        '--wait',
        '--timeout',
        '5m',
      ],
      { env: helmEnv, reject: false },
    );
    await pollUntil('the release to be pending-upgrade', async () =>
      (await helm.status(release, namespace)).status === 'pending-upgrade' ? true : undefined,
    );
    child.kill('SIGKILL');
    await child;
    const asset = await discover(release, { type: 'helm-repo', repoUrl: repo, chart });

    const fresh = updater({ staleAfterMs: 3_600_000 });
    expect(await fresh.inspectLock(asset)).toMatchObject({
      pending: true,
      stale: false,
      status: 'pending-upgrade',
    });
    await expect(fresh.validate(asset, { version: '1.1.0' }, ctx())).rejects.toThrow(ConflictError);
    await expect(fresh.unlockStale(asset, { lockHeld: true })).rejects.toThrow(/not stale/);

    const u = updater({ staleAfterMs: 0 });
    expect((await u.inspectLock(asset)).stale).toBe(true);
    expect(await u.unlockStale(asset, { lockHeld: true })).toEqual({ revision: 1 });
    const status = await helm.status(release, namespace);
    expect(status).toMatchObject({ status: 'deployed', chartVersion: '1.0.0' });
    await u.validate(asset, { version: '1.1.0' }, ctx());
  });

  it('never hands a hostile release name to a shell, and says clearly when helm is missing', async () => {
    const asset: Asset = {
      id: `helm/${namespace}/x`,
      kind: 'helm',
      name: `web${hostile}`,
      namespace,
      current: { version: '1.0.0' },
      source: { type: 'helm-repo', repoUrl: repo, chart },
      labels: {},
      annotations: {},
      policy: 'minor',
      healthChecks: [],
    };
    await expect(updater().refresh(asset)).rejects.toThrow();
    await expect(updater().prepare(asset, { version: '1.1.0' }, ctx())).rejects.toThrow();
    expect(existsSync(marker)).toBe(false);

    const missing = new HelmUpdater({
      helm: new HelmClient({ binary: join(helmHome, 'no-helm') }),
      workloads: workloads(kube),
    });
    await expect(missing.validate({ ...asset, name: 'web' }, { version: '1.1.0' }, ctx())).rejects.toThrow(
      ConfigError,
    );
    await expect(missing.validate({ ...asset, name: 'web' }, { version: '1.1.0' }, ctx())).rejects.toThrow(
      /helm binary not found/,
    );
  });
});
