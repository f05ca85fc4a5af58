/**
 * Bad Helm upgrade → release healthy again on its previous revision: safe-updater's HelmUpdater (upgrade
 * without --wait, verify with pod signals, rollback at the first definite signal) against Helm's own
 * `helm upgrade --atomic` (Helm 3) / `--rollback-on-failure` (Helm 4), with the same timeout, in one run.
 *
 * Measures per Helm version, on the local kwok cluster (bash env/up.sh first):
 *   detect  — from the start of the upgrade to the moment failure is known (ours: verify returns `failed`;
 *             Helm's: the release leaves pending-upgrade, i.e. helm starts its rollback)
 *   healthy — from the start of the upgrade to the release deployed on the previous chart version with every
 *             workload rolled out
 * Run: npm run bench -- helm-rollback [timeoutSeconds=60]  (or npx tsx bench/helm-rollback.bench.ts 60)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { createKubeClients } from '../src/kubernetes/client.js';
import { Workloads } from '../src/kubernetes/workloads.js';
import { HelmClient } from '../src/helm/helm-client.js';
import { HelmUpdater } from '../src/updaters/helm/helm-updater.js';
import { loadEnvironment } from '../test/support/env.js';
import type { Asset } from '../src/core/model.js';

const timeoutSeconds = Number(process.argv[2] ?? 60);
const BAD = '1.2.0'; // chart whose pods crashloop
const GOOD = '1.1.0';

interface Figures {
  tool: string;
  detectMs: number;
  healthyMs: number;
}

const env = loadEnvironment();
const kube = createKubeClients({ kubeconfig: env.kubeconfig });
const workloads = new Workloads(kube);

async function main(): Promise<void> {
  const rows: { ours: Figures; helm: Figures }[] = [];
  for (const tool of ['helm3', 'helm4'] as const) {
    const binary = env.tools[tool];
    const home = mkdtempSync(join(tmpdir(), `bench-${tool}-`));
    const helmEnv = {
      HELM_CACHE_HOME: join(home, 'c'),
      HELM_CONFIG_HOME: join(home, 'g'),
      HELM_DATA_HOME: join(home, 'd'),
    };
    const namespace = `bench-${tool}-${Date.now().toString(36)}`;
    await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
    const helm = new HelmClient({ binary, kubeconfig: env.kubeconfig, env: helmEnv });
    const chartArgs = [
      env.fixtures.chart,
      '--repo',
      env.chartRepos.anonymous,
      '--namespace',
      namespace,
      '--kubeconfig',
      env.kubeconfig,
    ];
    try {
      await execa(binary, ['install', 'ours', ...chartArgs, '--version', GOOD, '--wait', '--timeout', '3m'], {
        env: helmEnv,
      });
      await execa(
        binary,
        ['install', 'native', ...chartArgs, '--version', GOOD, '--wait', '--timeout', '3m'],
        { env: helmEnv },
      );
      rows.push({
        ours: await runOurs(tool, helm, namespace),
        helm: await runNative(tool, binary, helmEnv, helm, namespace, chartArgs),
      });
    } finally {
      await kube.core.deleteNamespace({ name: namespace });
    }
  }
  console.log(`\nbad upgrade ${GOOD} → ${BAD} (crashloop), timeout ${timeoutSeconds}s, kwok cluster`);
  console.log(
    '| helm | detect: safe-updater | detect: helm native | healthy again: safe-updater | healthy again: helm native | ratio (healthy) |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const { ours, helm } of rows) {
    const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
    console.log(
      `| ${ours.tool} | ${s(ours.detectMs)} | ${s(helm.detectMs)} | ${s(ours.healthyMs)} | ${s(helm.healthyMs)} | ${(helm.healthyMs / ours.healthyMs).toFixed(1)}× faster |`,
    );
  }
}

function asset(release: string, namespace: string): Asset {
  return {
    id: `helm/${namespace}/${release}`,
    kind: 'helm',
    name: release,
    namespace,
    current: { version: GOOD },
    source: { type: 'helm-repo', repoUrl: env.chartRepos.anonymous, chart: env.fixtures.chart },
    labels: {},
    annotations: {},
    policy: 'all',
    healthChecks: [],
  };
}

async function runOurs(tool: string, helm: HelmClient, namespace: string): Promise<Figures> {
  const updater = new HelmUpdater({
    helm,
    workloads,
    helmTimeoutMs: timeoutSeconds * 1000,
    pollIntervalMs: 500,
  });
  const target = asset('ours', namespace);
  const ctx = { timeoutMs: timeoutSeconds * 1000 };
  const started = Date.now();
  const facts = await updater.prepare(target, { version: BAD }, ctx);
  await updater.apply(target, { version: BAD }, facts, ctx);
  const health = await updater.verify(target, { version: BAD }, facts, ctx);
  const detectMs = Date.now() - started;
  if (health.verdict !== 'failed')
    throw new Error(`expected a failure, got ${health.verdict}: ${health.message}`);
  await updater.rollback(target, facts, ctx);
  const status = await helm.status('ours', namespace);
  if (status.chartVersion !== GOOD || status.status !== 'deployed')
    throw new Error(`ours ended ${status.status} ${status.chartVersion}`);
  return { tool, detectMs, healthyMs: Date.now() - started };
}

async function runNative(
  tool: string,
  binary: string,
  helmEnv: Record<string, string>,
  helm: HelmClient,
  namespace: string,
  chartArgs: string[],
): Promise<Figures> {
  const flag = tool === 'helm4' ? '--rollback-on-failure' : '--atomic';
  const started = Date.now();
  const upgrade = execa(
    binary,
    ['upgrade', 'native', ...chartArgs, '--version', BAD, flag, '--timeout', `${timeoutSeconds}s`],
    {
      env: helmEnv,
      reject: false,
    },
  );
  let detectMs: number | undefined;
  let finished = false;
  void upgrade.finally(() => {
    finished = true;
  });
  // Helm knows of the failure when it starts its rollback: the release leaves pending-upgrade.
  while (!finished) {
    const status = await helm.status('native', namespace).catch(() => undefined);
    if (detectMs === undefined && status && status.revision > 1 && status.status !== 'pending-upgrade') {
      detectMs = Date.now() - started;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const result = await upgrade;
  detectMs ??= Date.now() - started;
  const updater = new HelmUpdater({ helm, workloads, pollIntervalMs: 500 });
  const health = await updater.verify(
    asset('native', namespace),
    { version: GOOD },
    {},
    { timeoutMs: 120_000 },
  );
  const status = await helm.status('native', namespace);
  if (status.chartVersion !== GOOD || !health.healthy) {
    throw new Error(
      `native ended ${status.status} ${status.chartVersion} (${health.message}); helm said ${result.stderr}`,
    );
  }
  return { tool, detectMs, healthyMs: Date.now() - started };
}

await main();
