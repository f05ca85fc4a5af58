/**
 * The helm binary, run through execa with an argument array — never a shell, so release names, values and
 * chart references reach helm verbatim whatever characters they hold.
 *
 * Public API (class HelmClient, options HelmClientOptions):
 *   version()                                 → HelmVersion; ConfigError when helm is missing or older than 3.8
 *   list({ namespace? })                      → HelmReleaseSummary[]   (all namespaces when none given)
 *   history(release, namespace)               → HelmRevision[] (oldest first)
 *   status(release, namespace)                → HelmRelease            NotFoundError when there is no such release
 *   getValues(release, namespace, revision?)  → the release's user-supplied values
 *   getManifest(release, namespace)           → the deployed manifest (YAML text)
 *   showChart(chart, version)                 → resolves when that chart version exists; NotFoundError otherwise
 *   upgrade(request)                          → HelmRelease (with `dryRun: true`: rendered server-side, nothing changes)
 *   rollback(release, namespace, revision, { timeoutMs? })
 * Errors: "another operation (install/upgrade/rollback) is in progress" → ConflictError; cluster unreachable
 * → ExternalHostError; missing release / chart version → NotFoundError.
 */
import { execa, type ExecaError } from 'execa';
import { ConfigError, errorMessage, type SafeUpdaterError } from '../core/errors.js';
import {
  classifyHelmError,
  compareHelmVersion,
  parseHelmVersion,
  parseHistory,
  parseRelease,
  parseReleaseList,
  parseValues,
  splitChartRef,
  type HelmRelease,
  type HelmReleaseSummary,
  type HelmRevision,
  type HelmVersion,
} from './output.js';

export const MINIMUM_HELM = { major: 3, minor: 8, patch: 0 };

export interface HelmClientOptions {
  /** Path or name of the helm binary (default "helm" on $PATH). */
  binary?: string;
  kubeconfig?: string;
  kubeContext?: string;
  /** Helm's storage driver (secret, configmap, …), passed as HELM_DRIVER. */
  driver?: string;
  /** Extra environment for helm (HELM_CACHE_HOME, HELM_CONFIG_HOME, …). */
  env?: Record<string, string>;
  /** Bound on any one helm command that has no timeout of its own (default 10 min). */
  commandTimeoutMs?: number;
  /** Host named in ExternalHostError when the cluster is unreachable. */
  clusterHost?: string;
}

/** Where a chart comes from: a repository URL + chart name, or an OCI reference (oci://host/path/chart). */
export type ChartLocation =
  { type: 'helm-repo'; repoUrl: string; chart: string } | { type: 'oci-chart'; ref: string; chart?: string };

export interface ChartAccess {
  username?: string;
  password?: string;
  /** Talk plain HTTP to the OCI registry (a local registry without TLS). */
  plainHttp?: boolean;
  insecureSkipTlsVerify?: boolean;
}

export interface UpgradeRequest {
  release: string;
  namespace: string;
  chart: ChartLocation;
  version: string;
  access?: ChartAccess;
  /** A values file (the release's own user values); passed with --reset-values, not --reuse-values. */
  valuesFile?: string;
  timeoutMs?: number;
  historyMax?: number;
  /** --atomic (Helm 3) / --rollback-on-failure (Helm 4). */
  atomic?: boolean;
  dryRun?: boolean;
  signal?: AbortSignal;
}

interface RunOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class HelmClient {
  private detected: Promise<HelmVersion> | undefined;
  readonly binary: string;

  constructor(private readonly options: HelmClientOptions = {}) {
    this.binary = options.binary ?? 'helm';
  }

  /** Detected once per client; Helm 3.8 is the oldest with OCI support on by default. */
  version(): Promise<HelmVersion> {
    this.detected ??= this.detectVersion();
    return this.detected;
  }

  async isHelm4(): Promise<boolean> {
    return (await this.version()).major >= 4;
  }

  private async detectVersion(): Promise<HelmVersion> {
    let output: string;
    try {
      const result = await execa(this.binary, ['version', '--template', '{{.Version}}'], {
        env: this.environment(),
        timeout: 30_000,
      });
      output = result.stdout;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'ENOENT' || code === 'EACCES') {
        throw new ConfigError(`helm binary not found: "${this.binary}"`, {
          hint: 'install Helm 3.8 or newer, or set helm.binary in safe-updater.yaml to its path',
          cause: error,
        });
      }
      throw new ConfigError(`cannot run "${this.binary} version": ${errorMessage(error)}`, { cause: error });
    }
    const version = parseHelmVersion(output);
    if (!version)
      throw new ConfigError(`cannot read the helm version from "${output.trim()}" (${this.binary})`);
    if (compareHelmVersion(version, MINIMUM_HELM) < 0) {
      throw new ConfigError(`helm ${version.raw} is too old: safe-updater needs Helm 3.8 or newer`, {
        hint: 'install a newer helm, or set helm.binary to one',
      });
    }
    return version;
  }

  private environment(): Record<string, string> {
    return {
      ...(this.options.driver ? { HELM_DRIVER: this.options.driver } : {}),
      ...this.options.env,
    };
  }

  private clusterArgs(): string[] {
    return [
      ...(this.options.kubeconfig ? ['--kubeconfig', this.options.kubeconfig] : []),
      ...(this.options.kubeContext ? ['--kube-context', this.options.kubeContext] : []),
    ];
  }

  /** Runs helm with an argument array (execa never uses a shell unless asked); stderr → typed errors. */
  private async run(args: string[], what: string, options: RunOptions = {}): Promise<string> {
    await this.version();
    try {
      const result = await execa(this.binary, [...args, ...this.clusterArgs()], {
        env: this.environment(),
        timeout: options.timeoutMs ?? this.options.commandTimeoutMs ?? 600_000,
        cancelSignal: options.signal,
        forceKillAfterDelay: 5_000,
        stripFinalNewline: false,
      });
      return result.stdout;
    } catch (error) {
      throw this.failure(error, what);
    }
  }

  private failure(error: unknown, what: string): SafeUpdaterError {
    const e = error as Partial<ExecaError>;
    const stderr = typeof e.stderr === 'string' && e.stderr !== '' ? e.stderr : errorMessage(error);
    const host = this.options.clusterHost ?? this.options.kubeContext ?? 'kubernetes';
    const typed = classifyHelmError(
      e.timedOut ? `${stderr}\ncontext deadline exceeded` : stderr,
      { what, host },
      { cause: error },
    );
    return typed;
  }

  async list(filter: { namespace?: string } = {}): Promise<HelmReleaseSummary[]> {
    const scope = filter.namespace ? ['--namespace', filter.namespace] : ['--all-namespaces'];
    // Helm 3 lists only deployed and failed releases unless --all; Helm 4 lists every status and has no
    // --all. --max lifts the default limit of 256 (0 would mean "the server's default", not "all").
    const every = (await this.isHelm4()) ? [] : ['--all'];
    const out = await this.run(
      ['list', ...scope, ...every, '--max', '100000', '--output', 'json'],
      'helm list',
    );
    return parseReleaseList(out);
  }

  async history(release: string, namespace: string): Promise<HelmRevision[]> {
    const out = await this.run(
      ['history', release, '--namespace', namespace, '--max', '1000', '--output', 'json'],
      `helm history ${release} in ${namespace}`,
    );
    return parseHistory(out);
  }

  /**
   * `helm status -o json` leaves the chart out (Helm 3 and 4), and `helm get metadata` needs Helm 3.13, so
   * the chart name and version come from the newest history entry ("demo-app-1.2.0"), which every helm has.
   */
  async status(release: string, namespace: string): Promise<HelmRelease> {
    const what = `helm status ${release} in ${namespace}`;
    const [out, newest] = await Promise.all([
      this.run(['status', release, '--namespace', namespace, '--output', 'json'], what),
      this.run(['history', release, '--namespace', namespace, '--max', '1', '--output', 'json'], what),
    ]);
    const status = parseRelease(out);
    const entry = parseHistory(newest).pop();
    if (status.chartVersion !== '' || !entry) return status;
    const { name, version } = splitChartRef(entry.chart);
    return { ...status, chartName: name, chartVersion: version, appVersion: entry.appVersion };
  }

  async getValues(release: string, namespace: string, revision?: number): Promise<Record<string, unknown>> {
    const out = await this.run(
      [
        'get',
        'values',
        release,
        '--namespace',
        namespace,
        ...(revision === undefined ? [] : ['--revision', String(revision)]),
        '--output',
        'json',
      ],
      `helm get values ${release} in ${namespace}`,
    );
    return parseValues(out);
  }

  async getManifest(release: string, namespace: string): Promise<string> {
    return this.run(
      ['get', 'manifest', release, '--namespace', namespace],
      `helm get manifest ${release} in ${namespace}`,
    );
  }

  /** Resolves when the chart version exists in its repository / OCI registry; NotFoundError when it does not. */
  async showChart(
    chart: ChartLocation,
    version: string,
    access: ChartAccess = {},
    signal?: AbortSignal,
  ): Promise<void> {
    await this.run(
      ['show', 'chart', ...this.chartArgs(chart, access), '--version', version],
      `chart ${describeChart(chart)} version ${version}`,
      { timeoutMs: 120_000, signal },
    );
  }

  private chartArgs(chart: ChartLocation, access: ChartAccess): string[] {
    const auth = [
      ...(access.username ? ['--username', access.username] : []),
      ...(access.password ? ['--password', access.password] : []),
      ...(access.insecureSkipTlsVerify ? ['--insecure-skip-tls-verify'] : []),
    ];
    if (chart.type === 'helm-repo') return [chart.chart, '--repo', chart.repoUrl, ...auth];
    return [chart.ref, ...auth, ...(access.plainHttp ? ['--plain-http'] : [])];
  }

  async upgrade(request: UpgradeRequest): Promise<HelmRelease> {
    const helm4 = await this.isHelm4();
    const version = await this.version();
    const timeoutMs = request.timeoutMs ?? 300_000;
    const args = [
      'upgrade',
      request.release,
      ...this.chartArgs(request.chart, request.access ?? {}),
      '--namespace',
      request.namespace,
      '--version',
      request.version,
      '--timeout',
      `${Math.ceil(timeoutMs / 1000)}s`,
      '--output',
      'json',
      ...(request.valuesFile ? ['--values', request.valuesFile, '--reset-values'] : []),
      ...(request.historyMax === undefined ? [] : ['--history-max', String(request.historyMax)]),
      ...(request.atomic ? [helm4 ? '--rollback-on-failure' : '--atomic'] : []),
      // Server-side dry run (Helm ≥ 3.13) validates against the live API; older helm only renders.
      ...(request.dryRun ? [helm4 || version.minor >= 13 ? '--dry-run=server' : '--dry-run'] : []),
    ];
    const what = `helm upgrade ${request.release} in ${request.namespace} to ${describeChart(request.chart)} ${request.version}`;
    // Helm's own timeout bounds the operation; ours only catches a hung process.
    const out = await this.run(args, what, { timeoutMs: timeoutMs + 120_000, signal: request.signal });
    return parseRelease(out);
  }

  async rollback(
    release: string,
    namespace: string,
    revision: number,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 300_000;
    await this.run(
      [
        'rollback',
        release,
        String(revision),
        '--namespace',
        namespace,
        '--timeout',
        `${Math.ceil(timeoutMs / 1000)}s`,
      ],
      `helm rollback ${release} in ${namespace} to revision ${revision}`,
      { timeoutMs: timeoutMs + 120_000, signal: options.signal },
    );
  }
}

export function describeChart(chart: ChartLocation): string {
  return chart.type === 'helm-repo' ? `${chart.repoUrl} ${chart.chart}` : chart.ref;
}
