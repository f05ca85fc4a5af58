/**
 * The Helm updater: upgrades a release to a chart version, verifies its workloads with the Kubernetes
 * signals, rolls back to the previous revision. Helm 3 and Helm 4.
 *
 * Public API: `new HelmUpdater(options: HelmUpdaterOptions)` implements Updater (src/updaters/types.ts):
 *   refresh(asset)                    live chart version, revision and status (NotFoundError when gone)
 *   validate(asset, target)           version format, chart version exists (repo or OCI), release not pending-*
 *                                     (ConflictError; a STALE pending release says so — see unlockStale)
 *   prepare(asset, target)            → HelmFacts { revision, chart, version, status } (the undo plan; no values:
 *                                       they may hold secrets and secrets never reach the journal)
 *   dryRun(asset, target)             `helm upgrade --dry-run=server` manifest vs the current one → unified diff
 *   apply(asset, target, facts)       `helm upgrade --version V -f <0600 temp file of the release's values> --reset-values
 *                                     --timeout --history-max`, NO --wait: our verifier decides within seconds
 *                                     (options.atomic adds --atomic / --rollback-on-failure)
 *   verify(asset, target, facts, ctx) watches the release's Deployments/StatefulSets/DaemonSets (label
 *                                     app.kubernetes.io/instance=<release>): healthy, or failed at the first
 *                                     definite pod signal, or failed at ctx.timeoutMs
 *   rollback(asset, facts, ctx)       `helm rollback <release> <facts.revision>` then WAITS until the restored
 *                                     revision is rolled out; RollbackFailedError when it does not get healthy
 *   locate(asset, target, facts)      'target' | 'previous' | 'unknown' from helm status
 *   history(asset)                    the release's revisions
 *   inspectLock(asset)                { pending, stale, status, since }
 *   unlockStale(asset, { lockHeld: true })  a release stuck in pending-* for longer than staleAfterMs is rolled
 *                                     back to its last deployed revision; only the holder of the asset lock may
 *                                     call it (the workflow), hence the explicit proof argument
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, type Clock } from '../../core/clock.js';
import {
  ConfigError,
  ConflictError,
  NotFoundError,
  RollbackFailedError,
  UsageError,
  errorMessage,
} from '../../core/errors.js';
import type { Asset, HealthStatus, VersionSource } from '../../core/model.js';
import type { ChartAccess, ChartLocation, HelmClient } from '../../helm/helm-client.js';
import type { HelmRevision } from '../../helm/output.js';
import { watchWorkloads } from '../../health/kubernetes/wait-for-rollout.js';
import type { WorkloadRef, Workloads } from '../../kubernetes/workloads.js';
import type { DryRunResult, UpdateContext, UpdateTarget, Updater } from '../types.js';
import { unifiedDiff } from './line-diff.js';

export interface HelmUpdaterOptions {
  helm: HelmClient;
  workloads: Workloads;
  /** Let helm roll back by itself (--atomic on Helm 3, --rollback-on-failure on Helm 4). Default false. */
  atomic?: boolean;
  /** helm --timeout for upgrade and rollback (default 5 min). */
  helmTimeoutMs?: number;
  historyMax?: number;
  /** Credentials / plain HTTP for a chart source (from the configuration's registries). */
  chartAccess?: (source: ChartLocation) => ChartAccess | undefined;
  /** A pending-* release with no operation for longer than this is stale (default: helm timeout + 5 min). */
  staleAfterMs?: number;
  /** Restarts of a new pod's container that count as failure (default 3). */
  restartThreshold?: number;
  /** Poll interval of the verifier (default 1 s). */
  pollIntervalMs?: number;
  clock?: Clock;
}

/** What prepare() journals: enough to put the release back. */
export interface HelmFacts {
  /** Revision deployed before the upgrade: the rollback target. */
  revision: number;
  chart: string;
  version: string;
  status: string;
}

export interface HelmLockState {
  pending: boolean;
  stale: boolean;
  status: string;
  revision: number;
  /** When the pending operation started (info.last_deployed). */
  since?: Date;
}

const VERSION_FORMAT = /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const INSTANCE_LABEL = 'app.kubernetes.io/instance';

export function readHelmFacts(facts: Record<string, unknown>): HelmFacts {
  const revision = Number(facts.revision);
  if (!Number.isInteger(revision) || revision < 1) {
    throw new UsageError(
      `no revision to roll back to in the update's facts (${JSON.stringify(facts.revision)})`,
    );
  }
  return {
    revision,
    chart: typeof facts.chart === 'string' ? facts.chart : '',
    version: typeof facts.version === 'string' ? facts.version : '',
    status: typeof facts.status === 'string' ? facts.status : '',
  };
}

function chartLocation(asset: Asset): ChartLocation {
  const source: VersionSource | undefined = asset.source;
  if (source?.type === 'helm-repo') return source;
  if (source?.type === 'oci-chart') return source;
  throw new ConfigError(`no chart source for ${asset.id}`, {
    hint: `add { id: ${asset.id}, source: { helmRepo: URL, chart: NAME } } or { oci: oci://… } to assets in safe-updater.yaml`,
  });
}

function releaseOf(asset: Asset): { release: string; namespace: string } {
  return { release: asset.release?.name ?? asset.name, namespace: asset.namespace };
}

export class HelmUpdater implements Updater {
  readonly kind = 'helm' as const;
  private readonly clock: Clock;

  constructor(private readonly options: HelmUpdaterOptions) {
    this.clock = options.clock ?? systemClock;
  }

  private get helmTimeoutMs(): number {
    return this.options.helmTimeoutMs ?? 300_000;
  }

  async refresh(asset: Asset): Promise<Asset> {
    const { release, namespace } = releaseOf(asset);
    const status = await this.options.helm.status(release, namespace);
    return {
      ...asset,
      current: {
        version: status.chartVersion,
        ...(status.appVersion ? { appVersion: status.appVersion } : {}),
      },
      release: { name: release, revision: status.revision, status: status.status, chart: status.chartName },
    };
  }

  history(asset: Asset): Promise<HelmRevision[]> {
    const { release, namespace } = releaseOf(asset);
    return this.options.helm.history(release, namespace);
  }

  async validate(asset: Asset, target: UpdateTarget, ctx: UpdateContext): Promise<void> {
    if (!VERSION_FORMAT.test(target.version)) {
      throw new UsageError(`"${target.version}" is not a chart version (expected semver such as 1.2.3)`);
    }
    const chart = chartLocation(asset);
    const lock = await this.inspectLock(asset);
    if (lock.pending) {
      const since = lock.since ? ` since ${lock.since.toISOString()}` : '';
      throw new ConflictError(
        `release ${asset.id} is ${lock.status}${since}: another helm operation is in progress`,
        {
          hint: lock.stale
            ? 'the operation is stale; safe-updater unlocks it (rollback to the last deployed revision) while holding the asset lock'
            : 'wait for the running helm operation to finish',
        },
      );
    }
    ctx.progress?.(`checking that chart version ${target.version} exists`);
    await this.options.helm.showChart(
      chart,
      target.version,
      this.options.chartAccess?.(chart) ?? {},
      ctx.signal,
    );
  }

  async prepare(asset: Asset, _target: UpdateTarget, _ctx: UpdateContext): Promise<Record<string, unknown>> {
    const { release, namespace } = releaseOf(asset);
    const status = await this.options.helm.status(release, namespace);
    const facts: HelmFacts = {
      revision: status.revision,
      chart: status.chartName,
      version: status.chartVersion,
      status: status.status,
    };
    return { ...facts };
  }

  async dryRun(asset: Asset, target: UpdateTarget, ctx: UpdateContext): Promise<DryRunResult> {
    const { release, namespace } = releaseOf(asset);
    const [current, values] = await Promise.all([
      this.options.helm.status(release, namespace),
      this.options.helm.getValues(release, namespace),
    ]);
    const rendered = await this.upgrade(asset, target, values, { ...ctx, dryRun: true });
    const diff = unifiedDiff(current.manifest, rendered.manifest, {
      fromLabel: `${release} revision ${current.revision} (chart ${current.chartName} ${current.chartVersion})`,
      toLabel: `${release} chart ${target.version} (server-side dry run)`,
    });
    const changed = diff.split('\n').filter((l) => /^[+-][^+-]/.test(l)).length;
    return {
      summary:
        diff === ''
          ? `helm upgrade ${asset.id} ${current.chartVersion} → ${target.version} changes no rendered resource`
          : `helm upgrade ${asset.id} ${current.chartVersion} → ${target.version} changes ${changed} manifest line(s)`,
      diff,
    };
  }

  async apply(
    asset: Asset,
    target: UpdateTarget,
    facts: Record<string, unknown>,
    ctx: UpdateContext,
  ): Promise<void> {
    readHelmFacts(facts);
    // The release's own values, read now (the asset lock is held, so they are those of facts.revision) and
    // not from the journal: values may hold secrets, and secrets never reach the journal.
    const { release, namespace } = releaseOf(asset);
    const values = await this.options.helm.getValues(release, namespace);
    ctx.progress?.(`helm upgrade ${asset.id} to ${target.version}`);
    await this.upgrade(asset, target, values, { ...ctx, dryRun: false });
  }

  /** Writes the values to a 0600 temp file (values may hold secrets) for the one helm call, then removes it. */
  private async upgrade(
    asset: Asset,
    target: UpdateTarget,
    values: Record<string, unknown>,
    ctx: UpdateContext & { dryRun: boolean },
  ) {
    const chart = chartLocation(asset);
    const { release, namespace } = releaseOf(asset);
    const dir = await mkdtemp(join(tmpdir(), 'safe-updater-values-'));
    const valuesFile = join(dir, 'values.json');
    try {
      // JSON is YAML, so helm reads it as a values file without a YAML serializer of ours.
      await writeFile(valuesFile, JSON.stringify(values), { mode: 0o600 });
      return await this.options.helm.upgrade({
        release,
        namespace,
        chart,
        version: target.version,
        access: this.options.chartAccess?.(chart) ?? {},
        valuesFile,
        timeoutMs: this.helmTimeoutMs,
        ...(this.options.historyMax === undefined ? {} : { historyMax: this.options.historyMax }),
        atomic: this.options.atomic ?? false,
        dryRun: ctx.dryRun,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private releaseWorkloads(asset: Asset): () => Promise<WorkloadRef[]> {
    const { release, namespace } = releaseOf(asset);
    return async () =>
      (await this.options.workloads.list(namespace, `${INSTANCE_LABEL}=${release}`))
        .filter((w) => w.kind !== 'CronJob')
        .map((w) => ({ kind: w.kind, namespace: w.namespace, name: w.name }));
  }

  private watch(asset: Asset, ctx: UpdateContext): Promise<HealthStatus> {
    return watchWorkloads(this.options.workloads, this.releaseWorkloads(asset), ctx, {
      clock: this.clock,
      pollIntervalMs: this.options.pollIntervalMs,
      restartThreshold: this.options.restartThreshold,
    });
  }

  async verify(
    asset: Asset,
    _target: UpdateTarget,
    _facts: Record<string, unknown>,
    ctx: UpdateContext,
  ): Promise<HealthStatus> {
    return this.watch(asset, ctx);
  }

  async rollback(asset: Asset, facts: Record<string, unknown>, ctx: UpdateContext): Promise<void> {
    const { revision } = readHelmFacts(facts);
    const { release, namespace } = releaseOf(asset);
    ctx.progress?.(`helm rollback ${asset.id} to revision ${revision}`);
    try {
      await this.options.helm.rollback(release, namespace, revision, {
        timeoutMs: this.helmTimeoutMs,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
    } catch (error) {
      throw new RollbackFailedError(
        `rollback of ${asset.id} to revision ${revision} failed: ${errorMessage(error)}`,
        {
          cause: error,
        },
      );
    }
    const health = await this.watch(asset, ctx);
    if (!health.healthy) {
      throw new RollbackFailedError(
        `${asset.id} is not healthy after the rollback to revision ${revision}: ${health.message}`,
      );
    }
  }

  async locate(
    asset: Asset,
    target: UpdateTarget,
    facts: Record<string, unknown>,
  ): Promise<'target' | 'previous' | 'unknown'> {
    const previous = readHelmFacts(facts);
    const { release, namespace } = releaseOf(asset);
    const status = await this.options.helm.status(release, namespace);
    if (status.status.startsWith('pending-')) return 'unknown';
    if (
      status.revision > previous.revision &&
      status.chartVersion === target.version &&
      status.status === 'deployed'
    ) {
      return 'target';
    }
    if (status.chartVersion === previous.version) return 'previous';
    return 'unknown';
  }

  async inspectLock(asset: Asset): Promise<HelmLockState> {
    const { release, namespace } = releaseOf(asset);
    const status = await this.options.helm.status(release, namespace);
    const pending = status.status.startsWith('pending-');
    const staleAfter = this.options.staleAfterMs ?? this.helmTimeoutMs + 300_000;
    const age = status.lastDeployed ? this.clock.now().getTime() - status.lastDeployed.getTime() : Infinity;
    return {
      pending,
      stale: pending && age > staleAfter,
      status: status.status,
      revision: status.revision,
      ...(status.lastDeployed ? { since: status.lastDeployed } : {}),
    };
  }

  /**
   * Unlocks a release stuck in pending-* (a helm process killed mid-operation leaves it so forever) by
   * rolling back to the last deployed revision — what the Helm docs and Flux's helm-controller
   * (fluxcd/helm-controller#149) do. Only while holding the asset lock: otherwise we could break an
   * operation that is in fact running.
   */
  async unlockStale(
    asset: Asset,
    proof: { lockHeld: true },
    ctx?: UpdateContext,
  ): Promise<{ revision: number }> {
    if (proof.lockHeld !== true) throw new ConflictError(`unlocking ${asset.id} needs the asset lock`);
    const lock = await this.inspectLock(asset);
    if (!lock.pending)
      throw new ConflictError(`release ${asset.id} is ${lock.status}, not pending: nothing to unlock`);
    if (!lock.stale)
      throw new ConflictError(
        `release ${asset.id} is ${lock.status} but not stale yet: an operation may be running`,
      );
    const { release, namespace } = releaseOf(asset);
    const history = await this.options.helm.history(release, namespace);
    const deployed = [...history]
      .reverse()
      .find((r) => r.status === 'deployed' && r.revision < lock.revision);
    const fallback = [...history]
      .reverse()
      .find((r) => r.status === 'superseded' && r.revision < lock.revision);
    const target = deployed ?? fallback;
    if (!target) throw new NotFoundError(`release ${asset.id} has no earlier deployed revision to return to`);
    ctx?.progress?.(
      `unlocking stale ${lock.status} release ${asset.id}: rollback to revision ${target.revision}`,
    );
    await this.options.helm.rollback(release, namespace, target.revision, { timeoutMs: this.helmTimeoutMs });
    return { revision: target.revision };
  }
}
