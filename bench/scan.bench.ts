/**
 * Scan of 5,000 workloads referencing 500 distinct repositories × 100 tags on the local anonymous registry:
 * safe-updater's scan (one tag listing per repository, shared /v2/ probe, cached HEADs) side by side with a
 * naive lookup per workload, in one run. Each variant runs in its own process so its peak RSS is its own.
 *
 * Measures per variant: wall time of discovery + lookups + decisions, registry requests (tag-list pages,
 * /v2/ probes, manifest HEADs, any GET), peak RSS (process.resourceUsage().maxRSS).
 * The workloads come from a synthetic source (5,000 kwok Deployments would measure the API server, not
 * the lookup); the registry, its repositories and tags are real. 10 % of workloads run `latest` and are
 * tracked by digest (HEAD).
 *
 * Run: npx tsx bench/scan.bench.ts            (publishes bench/scan-NNN repositories once, ~minutes)
 *      npx tsx bench/scan.bench.ts --quick    (50 repositories × 100 tags, 500 workloads)
 */
import { createHash } from 'node:crypto';
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../src/core/clock.js';
import type { Asset } from '../src/core/model.js';
import { createDatasources } from '../src/datasources/index.js';
import { PolicyBook } from '../src/policy/policies.js';
import { mapWithConcurrency } from '../src/scan/concurrency.js';
import { evaluateAsset } from '../src/scan/evaluate.js';
import { runScan } from '../src/scan/scan.js';
import { loadEnvironment } from '../test/support/env.js';

const quick = process.argv.includes('--quick');
const REPOSITORIES = quick ? 50 : 500;
const WORKLOADS = quick ? 500 : 5000;
const CONCURRENCY = 16;
/** 99 versions (1.0.0 … 4.4.x style) plus latest = 100 tags. */
const VERSIONS = Array.from(
  { length: 99 },
  (_, i) => `${1 + Math.floor(i / 25)}.${Math.floor(i / 5) % 5}.${i % 5}`,
);
const TAGS = [...VERSIONS, 'latest'];

const env = loadEnvironment();
const registry = env.registries.anonymous.host;
const base = `http://${registry}`;
const repo = (i: number): string => `bench/scan-${String(i).padStart(3, '0')}`;

const sha = (data: Buffer | string): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const config = Buffer.from(
  JSON.stringify({
    created: '2026-01-01T00:00:00Z',
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [] },
  }),
);
const layer = Buffer.from('safe-updater bench layer');

async function ensureBlob(repository: string, blob: Buffer): Promise<void> {
  const digest = sha(blob);
  if ((await fetch(`${base}/v2/${repository}/blobs/${digest}`, { method: 'HEAD' })).status === 200) return;
  const start = await fetch(`${base}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  const location = new URL(start.headers.get('location') ?? '', base);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, {
    method: 'PUT',
    body: blob,
    headers: { 'content-type': 'application/octet-stream' },
  });
  if (put.status !== 201) throw new Error(`blob upload to ${repository}: ${put.status} ${await put.text()}`);
}

/** Publishes a repository with 100 tags unless it already has them; manifests differ per tag by annotation. */
async function publish(i: number): Promise<void> {
  const repository = repo(i);
  const listed = await fetch(`${base}/v2/${repository}/tags/list?n=1000`);
  if (listed.status === 200 && ((await listed.json()) as { tags?: string[] }).tags?.length === TAGS.length)
    return;
  await ensureBlob(repository, config);
  await ensureBlob(repository, layer);
  for (const tag of TAGS) {
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: sha(config),
        size: config.length,
      },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(layer), size: layer.length },
      ],
      annotations: { 'org.safe-updater.bench.tag': tag },
    });
    const put = await fetch(`${base}/v2/${repository}/manifests/${tag}`, {
      method: 'PUT',
      body: manifest,
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    if (put.status !== 201)
      throw new Error(`manifest ${repository}:${tag}: ${put.status} ${await put.text()}`);
  }
}

function workloads(): Asset[] {
  return Array.from({ length: WORKLOADS }, (_, i) => {
    const latest = i % 10 === 9;
    const version = latest ? 'latest' : (VERSIONS[(i * 7) % 50] ?? '1.0.0');
    return {
      id: `k8s/bench/deployment/w${i}/container/app`,
      kind: 'kubernetes',
      name: `w${i}`,
      namespace: 'bench',
      current: { version, ...(latest ? { digest: 'sha256:0000' } : {}) },
      source: { type: 'oci-image', image: `${registry}/${repo(i % REPOSITORIES)}` },
      labels: {},
      annotations: {},
      policy: 'minor',
      healthChecks: [],
    };
  });
}

interface Figures {
  variant: string;
  wallMs: number;
  requests: Record<string, number>;
  maxRssMb: number;
  updates: number;
  failures: number;
}

async function measure(variant: 'safe-updater' | 'naive'): Promise<Figures> {
  const requests: Record<string, number> = { 'tag pages': 0, 'v2 probes': 0, HEAD: 0, 'other GET': 0 };
  const onRequest = (method: string, url: string): void => {
    const key =
      method === 'HEAD'
        ? 'HEAD'
        : url.includes('/tags/list')
          ? 'tag pages'
          : url.endsWith('/v2/')
            ? 'v2 probes'
            : 'other GET';
    requests[key] = (requests[key] ?? 0) + 1;
  };
  const assets = workloads();
  const policies = new PolicyBook({}, 'minor');
  const make = () => createDatasources({ registries: [], dockerConfigPaths: [], http: { onRequest } });
  const started = performance.now();
  let evaluations;
  if (variant === 'safe-updater') {
    const report = await runScan({
      sources: [{ kind: 'kubernetes', discover: () => Promise.resolve({ assets, problems: [] }) }],
      datasources: make(),
      policies,
      clock: systemClock,
      concurrency: CONCURRENCY,
    });
    evaluations = report.assets;
  } else {
    // What a per-workload checker does: a fresh client (probe, listing, HEAD) for every workload.
    evaluations = await mapWithConcurrency(assets, CONCURRENCY, (asset) =>
      evaluateAsset(asset, { datasources: make(), policies, clock: systemClock }),
    );
  }
  const wallMs = performance.now() - started;
  return {
    variant,
    wallMs: Math.round(wallMs),
    requests,
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    updates: evaluations.filter((e) => e.status === 'update-available').length,
    failures: evaluations.filter((e) => e.status === 'lookup-failed' || e.status === 'not-found').length,
  };
}

async function main(): Promise<void> {
  const variantArg = process.argv.find((a) => a.startsWith('--variant='));
  if (variantArg) {
    const figures = await measure(variantArg.slice('--variant='.length) as 'safe-updater' | 'naive');
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    return;
  }
  const publishStart = performance.now();
  await mapWithConcurrency(
    Array.from({ length: REPOSITORIES }, (_, i) => i),
    8,
    publish,
  );
  console.log(
    `${REPOSITORIES} repositories × ${TAGS.length} tags ready in ${Math.round(performance.now() - publishStart)} ms`,
  );
  const rows: Figures[] = [];
  for (const variant of ['safe-updater', 'naive'] as const) {
    const child = await execa('npx', [
      'tsx',
      fileURLToPath(import.meta.url),
      `--variant=${variant}`,
      ...(quick ? ['--quick'] : []),
    ]);
    rows.push(JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as Figures);
  }
  console.log(
    `\n${WORKLOADS} workloads, ${REPOSITORIES} repositories × ${TAGS.length} tags, concurrency ${CONCURRENCY}\n`,
  );
  console.log(
    '| variant | wall time | tag pages | /v2/ probes | HEAD | other GET | total requests | peak RSS | updates found | failed lookups |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const total = Object.values(r.requests).reduce((a, b) => a + b, 0);
    console.log(
      `| ${r.variant} | ${(r.wallMs / 1000).toFixed(1)} s | ${r.requests['tag pages']} | ${r.requests['v2 probes']} | ${r.requests.HEAD} | ${r.requests['other GET']} | ${total} | ${r.maxRssMb} MB | ${r.updates} | ${r.failures} |`,
    );
  }
}

await main();
