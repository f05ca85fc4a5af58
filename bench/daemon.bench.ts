/**
 * The daemon (`safe-updater watch`, the real CLI in dist/) at rest and on a registry webhook (issue 6), on the
 * local kwok cluster and the anonymous registry (bash env/up.sh first; `npm run build` for dist/):
 *
 *   idle    — two daemons side by side for the same minutes, one watching 1,000 Deployments and one watching
 *             10 (replicas 0, five repositories × six tags on the local registry, each on its newest allowed
 *             version or monitor-only, so nothing is ever queued). Every few seconds their RSS (VmRSS of
 *             /proc/PID/status) and CPU time (utime + stime of /proc/PID/stat, in clock ticks) are read.
 *             Reported per daemon: RSS after the first check / median / max / end (growth = leak check), CPU %
 *             over the window, CPU seconds per check, and the registry requests per check, counted by a
 *             small proxy of this bench in front of the registry (the daemon's
 *             safe_updater_registry_requests_total is printed too). The daemon's own log must say it saw
 *             every asset and queued nothing, and the API must list no update record.
 *   latency — a daemon with an interval of an hour watches one Deployment (policy minor); N times the
 *             Deployment is moved back to 1.0.0, then a Distribution push notification for 1.2.0 is POSTed to
 *             /hooks/registry: time from the POST to the update record's createdAt (the check started and
 *             queued it) and to its `succeeded`. Side by side: the same without a webhook, by polling (a
 *             daemon with `--interval`, timed from the moment the Deployment is back on 1.0.0) and by a
 *             `watch --once` process (timed from its spawn).
 *
 * Run: npm run bench -- daemon [idle|latency|all] [--duration 600] [--assets 1000] [--small 10]
 *        [--interval 1m] [--sample 5] [--runs 20] [--poll-interval 1m] [--poll-runs 3] [--once-runs 3]
 * Quick try: npm run bench -- daemon all --duration 60 --runs 3 --poll-interval 20s --poll-runs 1
 * Ctrl-C removes the namespaces and stops the daemons it started.
 */
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execa } from 'execa';
import { parseDuration } from '../src/config/duration.js';
import { mapWithConcurrency } from '../src/scan/concurrency.js';
import { openJournal } from '../src/state/journal.js';
import { waitForDeployment } from '../test/e2e/support.js';
import {
  clients,
  createNamespace,
  createWorkload,
  deleteNamespace,
  pollUntil,
  workloads,
} from '../test/kubernetes/cluster.js';
import {
  API_TOKEN,
  CLI,
  HOOK_SECRET,
  createDaemonWorkspace,
  getJson,
  waitForExit,
  type DaemonProcess,
  type DaemonWorkspace,
} from '../test/daemon/support.js';
import { distributionPushEnvelope, pushTag, type PushedTag } from '../test/daemon/registry-push.js';
import { loadEnvironment } from '../test/support/env.js';

interface Options {
  mode: 'idle' | 'latency' | 'all';
  durationS: number;
  assets: number;
  small: number;
  interval: string;
  sampleS: number;
  runs: number;
  pollInterval: string;
  pollRuns: number;
  onceRuns: number;
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = {
    mode: 'all',
    durationS: 600,
    assets: 1000,
    small: 10,
    interval: '1m',
    sampleS: 5,
    runs: 20,
    pollInterval: '1m',
    pollRuns: 3,
    onceRuns: 3,
  };
  const numeric = {
    '--duration': 'durationS',
    '--assets': 'assets',
    '--small': 'small',
    '--sample': 'sampleS',
    '--runs': 'runs',
    '--poll-runs': 'pollRuns',
    '--once-runs': 'onceRuns',
  } as const;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const value = argv[i + 1];
    if (arg === 'idle' || arg === 'latency' || arg === 'all') options.mode = arg;
    else if (arg in numeric && value !== undefined && Number.isFinite(Number(value))) {
      options[numeric[arg as keyof typeof numeric]] = Number(value);
      i++;
    } else if ((arg === '--interval' || arg === '--poll-interval') && value !== undefined) {
      parseDuration(value);
      options[arg === '--interval' ? 'interval' : 'pollInterval'] = value;
      i++;
    } else {
      throw new Error(`unknown argument '${arg}' (see the header of bench/daemon.bench.ts)`);
    }
  }
  return options;
}

const env = loadEnvironment();
const kube = clients();
const REGISTRY = env.registries.anonymous.host;
/** Versions copied from the fixture repository into each bench repository. */
const TAGS = ['1.0.0', '1.0.1', '1.1.0', '1.2.0', '2.0.0', '2.1.0'];
const REPOSITORIES = Array.from({ length: 5 }, (_, i) => `bench/daemon-${i}`);

/** What the bench created, undone at the end and on Ctrl-C. */
const namespaces: string[] = [];
const workspaces: DaemonWorkspace[] = [];
const servers: Server[] = [];

async function cleanup(): Promise<void> {
  for (const ws of workspaces.splice(0)) ws.cleanup();
  for (const server of servers.splice(0)) server.close();
  await Promise.all(namespaces.splice(0).map((ns) => deleteNamespace(kube, ns).catch(() => undefined)));
}

process.once('SIGINT', () => {
  process.stderr.write('\ninterrupted: cleaning up\n');
  void cleanup().finally(() => process.exit(130));
});

const say = (message: string): void => {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};

/** Nearest-rank percentile of a non-empty list. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const secondsText = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`;

// ---- /proc sampling -------------------------------------------------------------------------------------

interface ProcSample {
  atMs: number;
  rssKb: number;
  cpuTicks: number;
}

/** VmRSS and utime + stime of a live process (Linux /proc). */
function sampleProcess(pid: number): ProcSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN);
  // Fields after the parenthesised command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { atMs: Date.now(), rssKb, cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

/** Median RSS of the last quarter of the samples minus that of the first quarter (GC noise averaged out). */
function rssTrend(samples: readonly ProcSample[]): number {
  const quarter = Math.max(1, Math.floor(samples.length / 4));
  const median = (part: readonly ProcSample[]): number =>
    percentile(
      part.map((s) => s.rssKb),
      50,
    );
  return median(samples.slice(-quarter)) - median(samples.slice(0, quarter));
}

// ---- a counting proxy in front of the registry ----------------------------------------------------------

type RequestCounts = Record<string, number>;

/** What a registry request was for: the /v2/ probe, a tag listing, a manifest HEAD/GET, anything else. */
function requestKind(method: string, url: string): string {
  if (/^\/v2\/?$/.test(url)) return 'probe';
  if (url.includes('/tags/list')) return 'tags';
  if (url.includes('/manifests/')) return `manifest ${method}`;
  return `other ${method}`;
}

/** An HTTP proxy to the anonymous registry that counts what passes, by kind and status. */
async function countingProxy(): Promise<{ host: string; counts: RequestCounts }> {
  const counts: RequestCounts = {};
  const [targetHost, targetPort] = REGISTRY.split(':');
  const server = createServer((req, res) => {
    const upstream = httpRequest(
      { host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        const key = `${requestKind(req.method ?? 'GET', req.url ?? '')} ${answer.statusCode ?? 0}`;
        counts[key] = (counts[key] ?? 0) + 1;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      counts['error'] = (counts['error'] ?? 0) + 1;
      res.writeHead(502).end(String(error));
    });
    req.pipe(upstream);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, counts };
}

const total = (counts: RequestCounts): number => Object.values(counts).reduce((a, b) => a + b, 0);

function difference(after: RequestCounts, before: RequestCounts): RequestCounts {
  return Object.fromEntries(Object.entries(after).map(([key, n]) => [key, n - (before[key] ?? 0)]));
}

// ---- the daemon's log and API ---------------------------------------------------------------------------

interface CheckLine {
  time: string;
  trigger: string;
  assets: number;
  enqueued: string[];
  approvalsRequested: string[];
  lookupFailures: number;
  problems: number;
}

/** The daemon's "… check: N assets, M queued" log lines (pino JSON on stderr). */
function checkLines(daemon: DaemonProcess): CheckLine[] {
  return daemon
    .stderr()
    .split('\n')
    .filter((line) => line.includes('"trigger"') && line.includes('"enqueued"'))
    .map((line) => JSON.parse(line) as CheckLine);
}

async function apiList<T>(url: string, path: string, key: string): Promise<T[]> {
  const { status, body } = await getJson(`${url}/api/v1/${path}`, API_TOKEN);
  if (status !== 200) throw new Error(`GET /api/v1/${path} answered ${status}: ${JSON.stringify(body)}`);
  return (body as Record<string, T[]>)[key] ?? [];
}

/** safe_updater_registry_requests_total series as "labels value" lines. */
async function registryMetric(url: string): Promise<string> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const series = text.split('\n').filter((line) => line.startsWith('safe_updater_registry_requests_total'));
  return series.length > 0 ? series.join('; ') : 'no series';
}

async function stopDaemon(daemon: DaemonProcess): Promise<void> {
  daemon.child.kill('SIGTERM');
  await waitForExit(daemon, 120_000).catch(() => daemon.kill());
}

// ---- fixtures -------------------------------------------------------------------------------------------

/** Copies the fixture's versions into the bench repositories (cross-repository mounts, idempotent). */
async function publishRepositories(): Promise<void> {
  for (const repository of REPOSITORIES) {
    const listed = await fetch(`http://${REGISTRY}/v2/${repository}/tags/list`);
    const tags = listed.status === 200 ? ((await listed.json()) as { tags: string[] | null }).tags : null;
    for (const tag of TAGS) if (!tags?.includes(tag)) await pushTag({ repository, tag }, tag);
  }
}

/**
 * Deployment i of an idle fleet: on its newest allowed version, or monitor-only (a newer version exists and
 * is reported, never applied). Four shapes in turn, five repositories in turn.
 */
function idleWorkload(
  i: number,
  registryHost: string,
): { image: string; annotations: Record<string, string> } {
  const repository = REPOSITORIES[i % REPOSITORIES.length] ?? '';
  const policy = (name: string): Record<string, string> => ({ 'safe-updater.io/policy': name });
  const shapes: { tag: string; annotations: Record<string, string> }[] = [
    { tag: '2.1.0', annotations: policy('major') },
    { tag: '1.2.0', annotations: policy('minor') },
    { tag: '1.0.1', annotations: policy('patch') },
    { tag: '1.0.0', annotations: { ...policy('minor'), 'safe-updater.io/monitor-only': 'true' } },
  ];
  const shape = shapes[i % shapes.length] ?? { tag: '2.1.0', annotations: policy('major') };
  return { image: `${registryHost}/${repository}:${shape.tag}`, annotations: shape.annotations };
}

async function idleNamespace(prefix: string, count: number, registryHost: string): Promise<string> {
  const ns = await createNamespace(kube, prefix);
  namespaces.push(ns);
  await mapWithConcurrency(
    Array.from({ length: count }, (_, i) => i),
    16,
    (i) =>
      createWorkload(kube, {
        kind: 'Deployment',
        namespace: ns,
        name: `w${String(i).padStart(4, '0')}`,
        replicas: 0,
        ...idleWorkload(i, registryHost),
      }),
  );
  return ns;
}

// ---- idle -----------------------------------------------------------------------------------------------

interface IdleDaemon {
  label: string;
  assets: number;
  daemon: DaemonProcess;
  url: string;
  counts: RequestCounts;
  samples: ProcSample[];
  spawnedAt: number;
  /** From the spawn to the end of the first check (its log line). */
  firstCheckMs: number;
  startupCpuTicks: number;
}

async function startIdleDaemon(label: string, assets: number, options: Options): Promise<IdleDaemon> {
  const proxy = await countingProxy();
  const creating = Date.now();
  say(`${label}: creating ${assets} Deployments`);
  const ns = await idleNamespace(`bench-daemon-${assets}`, assets, proxy.host);
  say(`${label}: ${assets} Deployments in ${ns} after ${secondsText(Date.now() - creating)}`);
  const ws = createDaemonWorkspace([ns], { registries: [{ host: proxy.host, insecure: true }] });
  workspaces.push(ws);
  const spawnedAt = Date.now();
  const daemon = ws.start(['watch', '--interval', options.interval, '--listen', '127.0.0.1:0']);
  const url = await daemon.url();
  return {
    label,
    assets,
    daemon,
    url,
    counts: proxy.counts,
    samples: [],
    spawnedAt,
    firstCheckMs: 0,
    startupCpuTicks: 0,
  };
}

interface IdleFigures {
  label: string;
  assets: number;
  /** trend: median of the last quarter of the samples minus median of the first quarter. */
  rss: { first: number; median: number; max: number; end: number; trend: number };
  cpuPercent: number;
  checks: number;
  cpuSecondsPerCheck: number;
  startupCpuSeconds: number;
  firstCheckS: number;
  requestsPerCheck: RequestCounts;
  windowRequests: number;
  metric: string;
  updateRecords: number;
  assetsInJournal: number;
}

async function runIdle(options: Options): Promise<IdleFigures[]> {
  await publishRepositories();
  const ticksPerSecond = Number((await execa('getconf', ['CLK_TCK'])).stdout.trim());
  const big = await startIdleDaemon(`${options.assets} assets`, options.assets, options);
  const small = await startIdleDaemon(`${options.small} assets`, options.small, options);
  const daemons = [big, small];
  // The window starts once both have finished their first check (start-up, discovery, first lookups).
  for (const d of daemons) {
    const first = await pollUntil(
      `${d.label}: the first check`,
      async () => checkLines(d.daemon).find((line) => line.trigger === 'start'),
      { timeoutMs: 600_000, intervalMs: 250 },
    );
    if (first.assets !== d.assets) {
      throw new Error(`${d.label}: the first check saw ${first.assets} assets, not ${d.assets}`);
    }
    d.firstCheckMs = new Date(first.time).getTime() - d.spawnedAt;
    d.startupCpuTicks = sampleProcess(d.daemon.child.pid ?? 0).cpuTicks;
    say(`${d.label}: first check done (${first.assets} assets, ${first.enqueued.length} queued)`);
  }
  const countsAtStart = daemons.map((d) => ({ ...d.counts }));
  const checksAtStart = daemons.map((d) => checkLines(d.daemon).length);
  const windowStart = Date.now();
  const windowEnd = windowStart + options.durationS * 1000;
  let lastNote = windowStart;
  while (Date.now() < windowEnd) {
    for (const d of daemons) d.samples.push(sampleProcess(d.daemon.child.pid ?? 0));
    if (Date.now() - lastNote >= 60_000) {
      lastNote = Date.now();
      say(
        daemons
          .map(
            (d) => `${d.label}: ${mb(d.samples.at(-1)?.rssKb ?? 0)}, ${checkLines(d.daemon).length} checks`,
          )
          .join(' | '),
      );
    }
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(options.sampleS * 1000, windowEnd - Date.now())),
    );
  }
  for (const d of daemons) d.samples.push(sampleProcess(d.daemon.child.pid ?? 0));

  const figures: IdleFigures[] = [];
  for (const [index, d] of daemons.entries()) {
    const lines = checkLines(d.daemon);
    const queued = lines.flatMap((line) => [...line.enqueued, ...line.approvalsRequested]);
    const wrong = lines.filter(
      (line) => line.assets !== d.assets || line.lookupFailures > 0 || line.problems > 0,
    );
    if (queued.length > 0 || wrong.length > 0) {
      throw new Error(`${d.label} was not idle: ${JSON.stringify({ queued, wrong: wrong.slice(0, 3) })}`);
    }
    const records = await apiList<unknown>(d.url, 'updates', 'updates');
    const assets = await apiList<{ id: string }>(d.url, 'assets', 'assets');
    const first = d.samples[0];
    const last = d.samples.at(-1);
    if (!first || !last) throw new Error(`${d.label}: no samples`);
    const checks = lines.length - (checksAtStart[index] ?? 0);
    const cpuSeconds = (last.cpuTicks - first.cpuTicks) / ticksPerSecond;
    const window = difference(d.counts, countsAtStart[index] ?? {});
    figures.push({
      label: d.label,
      assets: d.assets,
      rss: {
        first: first.rssKb,
        median: percentile(
          d.samples.map((s) => s.rssKb),
          50,
        ),
        max: Math.max(...d.samples.map((s) => s.rssKb)),
        end: last.rssKb,
        trend: rssTrend(d.samples),
      },
      cpuPercent: (100 * cpuSeconds) / ((last.atMs - first.atMs) / 1000),
      checks,
      cpuSecondsPerCheck: checks > 0 ? cpuSeconds / checks : Number.NaN,
      startupCpuSeconds: d.startupCpuTicks / ticksPerSecond,
      firstCheckS: d.firstCheckMs / 1000,
      requestsPerCheck: Object.fromEntries(
        Object.entries(window).map(([key, n]) => [key, checks > 0 ? n / checks : Number.NaN]),
      ),
      windowRequests: total(window),
      metric: await registryMetric(d.url),
      updateRecords: records.length,
      assetsInJournal: assets.length,
    });
  }
  for (const d of daemons) await stopDaemon(d.daemon);
  return figures;
}

function printIdle(figures: IdleFigures[], options: Options, load: string): void {
  console.log(
    `\nidle: ${options.durationS} s window, interval ${options.interval}, samples every ${options.sampleS} s; ${load}\n`,
  );
  console.log(
    '| daemon | checks | RSS after 1st check | RSS median | RSS max | RSS end | RSS trend (last ¼ − first ¼) | CPU % | CPU s / check | start-up CPU s | registry requests / check | update records |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const f of figures) {
    const perCheck = Object.entries(f.requestsPerCheck)
      .filter(([, n]) => n > 0)
      .map(([key, n]) => `${key}: ${n.toFixed(1)}`)
      .join(', ');
    console.log(
      `| ${f.label} | ${f.checks} | ${mb(f.rss.first)} | ${mb(f.rss.median)} | ${mb(f.rss.max)} | ${mb(f.rss.end)} | ${mb(f.rss.trend)} | ${f.cpuPercent.toFixed(2)} % | ${f.cpuSecondsPerCheck.toFixed(2)} | ${f.startupCpuSeconds.toFixed(1)} | ${perCheck || 'none'} | ${f.updateRecords} |`,
    );
  }
  const [big, small] = figures;
  if (big && small) {
    console.log(
      `| ratio ${big.assets} / ${small.assets} | | | ${(big.rss.median / small.rss.median).toFixed(2)}× | | | | ${(big.cpuPercent / small.cpuPercent).toFixed(2)}× | ${(big.cpuSecondsPerCheck / small.cpuSecondsPerCheck).toFixed(2)}× | | ${(big.windowRequests / Math.max(1, small.windowRequests)).toFixed(2)}× | |`,
    );
  }
  for (const f of figures) {
    console.log(
      `\n${f.label}: journal assets ${f.assetsInJournal}; first check done ${f.firstCheckS.toFixed(1)} s after the spawn; ` +
        `safe_updater_registry_requests_total: ${f.metric}`,
    );
  }
}

// ---- latency --------------------------------------------------------------------------------------------

interface UpdateRow {
  id: string;
  state: string;
  fromVersion: string;
  toVersion: string;
  createdAt: string;
  updatedAt: string;
}

const TERMINAL = new Set(['succeeded', 'failed', 'rolled-back', 'rollback-failed', 'cancelled']);

interface Sample {
  startMs: number;
  succeededMs: number;
}

async function latencySetup(): Promise<{
  ns: string;
  assetId: string;
  pushed: PushedTag;
  ws: DaemonWorkspace;
}> {
  const repository = 'bench/daemon-hook';
  await pushTag({ repository, tag: '1.0.0' }, '1.0.0');
  const pushed = await pushTag({ repository, tag: '1.2.0' }, '1.2.0');
  const ns = await createNamespace(kube, 'bench-daemon-hook');
  namespaces.push(ns);
  await createWorkload(kube, {
    kind: 'Deployment',
    namespace: ns,
    name: 'app',
    image: `${REGISTRY}/${repository}:1.0.0`,
    annotations: { 'safe-updater.io/policy': 'minor' },
  });
  await waitForDeployment(ns, 'app', '1.0.0');
  const ws = createDaemonWorkspace([ns]);
  workspaces.push(ws);
  return { ns, assetId: `k8s/${ns}/deployment/app/container/app`, pushed, ws };
}

async function updatesOf(url: string, assetId: string): Promise<UpdateRow[]> {
  return apiList<UpdateRow>(url, `updates?assetId=${encodeURIComponent(assetId)}`, 'updates');
}

/** Moves the Deployment back to 1.0.0 (as a person would) and waits until it runs there. */
async function moveBack(ns: string, image: string): Promise<void> {
  await workloads(kube).patch({ kind: 'Deployment', namespace: ns, name: 'app' }, [
    { op: 'replace', path: '/spec/template/spec/containers/0/image', value: image },
  ]);
  await waitForDeployment(ns, 'app', '1.0.0');
}

/** Waits for an update record newer than `before` to reach a terminal state; times relative to t0. */
async function timeNextUpdate(
  url: () => string,
  assetId: string,
  before: number,
  t0: number,
  timeoutMs: number,
): Promise<Sample> {
  const row = await pollUntil(
    'the next update to finish',
    async () => {
      const updates = await updatesOf(url(), assetId);
      const newest = updates[0];
      return updates.length > before && newest && TERMINAL.has(newest.state) ? newest : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
  if (row.state !== 'succeeded') throw new Error(`the update ended ${row.state}: ${JSON.stringify(row)}`);
  return {
    startMs: new Date(row.createdAt).getTime() - t0,
    succeededMs: new Date(row.updatedAt).getTime() - t0,
  };
}

interface LatencyFigures {
  label: string;
  samples: Sample[];
  note: string;
}

async function runLatency(options: Options): Promise<LatencyFigures[]> {
  const { ns, assetId, pushed, ws } = await latencySetup();
  const oldImage = pushed.image.replace(/:1\.2\.0$/, ':1.0.0');
  const results: LatencyFigures[] = [];

  // Webhook: an interval of an hour, so only the webhook can start a check.
  let daemon = ws.start(['watch', '--interval', '1h', '--listen', '127.0.0.1:0']);
  let url = await daemon.url();
  await timeNextUpdate(() => url, assetId, 0, Date.now(), 300_000);
  const webhook: Sample[] = [];
  const postMs: number[] = [];
  for (let run = 0; run < options.runs; run++) {
    await moveBack(ns, oldImage);
    const before = (await updatesOf(url, assetId)).length;
    const t0 = Date.now();
    const answer = await fetch(`${url}/hooks/registry`, {
      method: 'POST',
      headers: {
        'content-type': 'application/vnd.docker.distribution.events.v1+json',
        'x-webhook-secret': HOOK_SECRET,
      },
      body: JSON.stringify(distributionPushEnvelope(pushed)),
    });
    postMs.push(Date.now() - t0);
    if (answer.status !== 202)
      throw new Error(`the webhook answered ${answer.status}: ${await answer.text()}`);
    webhook.push(await timeNextUpdate(() => url, assetId, before, t0, 300_000));
    say(`webhook ${run + 1}/${options.runs}: ${JSON.stringify(webhook.at(-1))}`);
  }
  results.push({
    label: 'webhook (interval 1h)',
    samples: webhook,
    note: `POST answered 202 in p50 ${percentile(postMs, 50)} ms`,
  });
  await stopDaemon(daemon);

  // Polling: the same daemon configuration with a short interval and no webhook.
  const polling: Sample[] = [];
  if (options.pollRuns > 0) {
    daemon = ws.start(['watch', '--interval', options.pollInterval, '--listen', '127.0.0.1:0']);
    url = await daemon.url();
    const intervalMs = parseDuration(options.pollInterval);
    const polled = daemon;
    await pollUntil("the polling daemon's first check", async () =>
      checkLines(polled).find((line) => line.trigger === 'start'),
    );
    for (let run = 0; run < options.pollRuns; run++) {
      // A random phase against the daemon's checks, as a push would have (not a wait for correctness).
      await new Promise((resolve) => setTimeout(resolve, Math.random() * intervalMs));
      const before = (await updatesOf(url, assetId)).length;
      const t0 = Date.now();
      await moveBack(ns, oldImage);
      polling.push(await timeNextUpdate(() => url, assetId, before, t0, 2 * intervalMs + 120_000));
      say(`polling ${run + 1}/${options.pollRuns}: ${JSON.stringify(polling.at(-1))}`);
    }
    await stopDaemon(daemon);
    results.push({
      label: `polling (interval ${options.pollInterval}, no webhook)`,
      samples: polling,
      note: `timed from the move back to 1.0.0 at a random phase; expected mean ≈ interval / 2 = ${secondsText(intervalMs / 2)}`,
    });
  }

  // watch --once: a fresh process does one round (what a cron job would run).
  const once: Sample[] = [];
  for (let run = 0; run < options.onceRuns; run++) {
    await moveBack(ns, oldImage);
    const t0 = Date.now();
    const proc = ws.start(['--output', 'json', 'watch', '--once']);
    const exit = await waitForExit(proc, 300_000);
    if (exit.code !== 0) throw new Error(`watch --once exited ${exit.code}: ${proc.stderr()}`);
    const result = JSON.parse(proc.stdout()) as { updates: { updateId: string; outcome: string }[] };
    const id = result.updates[0]?.updateId;
    const journal = await openJournal(`sqlite://${ws.statePath}`);
    try {
      const record = id ? await journal.getUpdate(id) : undefined;
      if (!record || record.state !== 'succeeded') throw new Error(`watch --once: ${proc.stdout()}`);
      once.push({ startMs: record.createdAt.getTime() - t0, succeededMs: record.updatedAt.getTime() - t0 });
    } finally {
      await journal.close();
    }
    say(`watch --once ${run + 1}/${options.onceRuns}: ${JSON.stringify(once.at(-1))}`);
  }
  if (once.length > 0) {
    results.push({ label: '`watch --once` process', samples: once, note: 'timed from its spawn' });
  }
  return results;
}

function printLatency(figures: LatencyFigures[], load: string): void {
  console.log(`\nlatency: Deployment moved back to 1.0.0, brought to 1.2.0 (policy minor); ${load}\n`);
  console.log(
    '| trigger | runs | to createdAt p50 | p95 | max | to succeeded p50 | p95 | max | ratio to webhook (createdAt p50) | note |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  const base = figures[0]
    ? percentile(
        figures[0].samples.map((s) => s.startMs),
        50,
      )
    : Number.NaN;
  for (const f of figures) {
    const start = f.samples.map((s) => s.startMs);
    const done = f.samples.map((s) => s.succeededMs);
    const p50 = percentile(start, 50);
    console.log(
      `| ${f.label} | ${f.samples.length} | ${secondsText(p50)} | ${secondsText(percentile(start, 95))} | ${secondsText(Math.max(...start))} | ${secondsText(percentile(done, 50))} | ${secondsText(percentile(done, 95))} | ${secondsText(Math.max(...done))} | ${(p50 / base).toFixed(1)}× | ${f.note} |`,
    );
  }
}

async function uptime(): Promise<string> {
  return `load ${(await execa('uptime')).stdout.replace(/.*load average:\s*/, '')}`;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  say(`daemon bench: ${JSON.stringify(options)}; CLI ${CLI}; ${await uptime()}`);
  try {
    if (options.mode !== 'latency') {
      const loadBefore = await uptime();
      const figures = await runIdle(options);
      printIdle(figures, options, `${loadBefore} at the start, ${await uptime()} at the end`);
    }
    if (options.mode !== 'idle') {
      const loadBefore = await uptime();
      const figures = await runLatency(options);
      printLatency(figures, `${loadBefore} at the start, ${await uptime()} at the end`);
    }
  } finally {
    await cleanup();
  }
}

await main();
