/**
 * Docker updates at fleet scale, on podman's Docker API and the local registry (bash env/up.sh first):
 *
 *   fleet    — 20 containers on 1.0.0 updated to 1.1.0 through the real workflow (validate, pull, recreate,
 *              verify: running + 3 s without a restart + an exec check, cleanup), at most 4 at a time;
 *              wall time and per-container p50 / max
 *   rollback — one container updated to 1.2.0-crashloop: time until the failure is known (verify returns
 *              failed) and until the original container runs again under its name (rolled-back)
 *
 * Every container sets a 2 s stop timeout (busybox httpd as PID 1 ignores SIGTERM; with Docker's default
 * 10 s the stop would dominate the figures).
 * Run: npx tsx bench/docker.bench.ts [containers=20] [concurrency=4]
 */
import { mapWithConcurrency } from '../src/scan/concurrency.js';
import { runUpdate } from '../src/orchestrator/run-update.js';
import {
  discoverAsset,
  newClient,
  newUpdater,
  newWorkflow,
  removeApp,
  runApp,
  uniqueName,
  waitForDocker,
} from '../test/docker/support.js';

const COUNT = Number(process.argv[2] ?? 20);
const CONCURRENCY = Number(process.argv[3] ?? 4);
const STABLE_MS = 3_000;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const client = newClient();
  await waitForDocker(client);
  const names = Array.from({ length: COUNT }, (_, i) => uniqueName(`bench${i}`));
  const rollbackName = uniqueName('bench-rb');
  try {
    await mapWithConcurrency(names, CONCURRENCY, (name) => runApp(client, name, { tag: '1.0.0' }));
    const { deps } = await newWorkflow(client, newUpdater(client, { stableMs: STABLE_MS }));
    const assets = await Promise.all(names.map((name) => discoverAsset(client, name)));
    for (const asset of assets)
      asset.healthChecks = [{ name: 'alive', type: 'exec', command: ['sh', '-c', 'test -d /data'] }];

    const durations: number[] = [];
    const started = Date.now();
    const outcomes = await mapWithConcurrency(assets, CONCURRENCY, async (asset) => {
      const t0 = Date.now();
      const result = await runUpdate(deps, {
        asset,
        target: { version: '1.1.0' },
        origin: 'cli',
        requestedBy: 'bench',
        timeoutMs: 120_000,
      });
      durations.push(Date.now() - t0);
      if (result.outcome !== 'succeeded') {
        console.log(`  ${asset.name}: ${result.outcome}: ${result.record?.reason ?? String(result.error)}`);
      }
      return result.outcome;
    });
    const fleetMs = Date.now() - started;
    const succeeded = outcomes.filter((o) => o === 'succeeded').length;

    await runApp(client, rollbackName, { tag: '1.0.0' });
    const asset = await discoverAsset(client, rollbackName);
    const updater = newUpdater(client, { stableMs: STABLE_MS });
    let detectedAt = 0;
    const verify = updater.verify.bind(updater);
    updater.verify = async (...args: Parameters<typeof verify>) => {
      const health = await verify(...args);
      if (!health.healthy && !detectedAt) detectedAt = Date.now();
      return health;
    };
    const rollbackDeps = (await newWorkflow(client, updater)).deps;
    const t0 = Date.now();
    const rolled = await runUpdate(rollbackDeps, {
      asset,
      target: { version: '1.2.0-crashloop' },
      origin: 'cli',
      requestedBy: 'bench',
      timeoutMs: 120_000,
    });
    const restoredMs = Date.now() - t0;
    const running = (await client.inspectContainer(rollbackName)).State.Running;

    console.log(`Docker fleet update (${COUNT} containers, concurrency ${CONCURRENCY}, podman):`);
    console.log(
      `  wall ${seconds(fleetMs)}, ${succeeded}/${COUNT} succeeded; per container p50 ${seconds(percentile(durations, 50))}, max ${seconds(Math.max(...durations))}`,
    );
    console.log(
      `Docker rollback of 1.2.0-crashloop: outcome ${rolled.outcome}, failure known after ${seconds(detectedAt - t0)}, original running again after ${seconds(restoredMs)} (running: ${running})`,
    );
    if (succeeded !== COUNT || rolled.outcome !== 'rolled-back' || !running) process.exitCode = 1;
  } finally {
    await mapWithConcurrency([...names, rollbackName], CONCURRENCY, (name) => removeApp(client, name));
    await client.close();
  }
}

await main();
