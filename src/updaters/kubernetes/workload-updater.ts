/**
 * The Kubernetes workload updater: changes one container's image (tag or digest) in a Deployment,
 * StatefulSet, DaemonSet or CronJob, verifies the rollout with the Kubernetes signals, puts the old image back.
 *
 * Public API: `new WorkloadUpdater(options: WorkloadUpdaterOptions)` implements Updater (src/updaters/types.ts):
 *   refresh(asset)                  the container's live image → current version / digest
 *   validate(asset, target)         container exists, tag / digest well-formed, image exists (options.imageExists)
 *   prepare(asset, target)          → WorkloadFacts { image, targetImage, container, kind, generation }
 *   dryRun(asset, target)           the image line that would change
 *   apply(asset, target, facts)     guarded RFC 6902 patch: `test` the image is still facts.image, `replace` it,
 *                                   annotations kubernetes.io/change-cause and safe-updater.io/*
 *   verify(asset, target, facts)    `kubectl rollout status` rules + the new revision's pod signals; fails fast
 *   rollback(asset, facts, ctx)     patches facts.image back (guarded by a `test` on facts.targetImage), WAITS for
 *                                   the rollout; StatefulSet: deletes the failed revision's stuck pods, since the
 *                                   controller will not replace a pod that never became Ready ("forced rollback",
 *                                   https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#forced-rollback)
 *   locate(asset, target, facts)    'target' | 'previous' | 'unknown' from the live image
 */
import { systemClock, type Clock } from '../../core/clock.js';
import {
  ConflictError,
  NotFoundError,
  RollbackFailedError,
  UsageError,
  errorMessage,
} from '../../core/errors.js';
import type { Asset, HealthStatus, WorkloadKind } from '../../core/model.js';
import { parseImageReference } from '../../datasources/oci-registry/image-ref.js';
import { watchWorkloads } from '../../health/kubernetes/wait-for-rollout.js';
import { podSignals } from '../../health/kubernetes/pod-signals.js';
import {
  WORKLOAD_KINDS,
  containerImagePath,
  jsonPointerKey,
  observedGenerationCaughtUp,
  type JsonPatchOp,
  type Workload,
  type WorkloadRef,
  type Workloads,
} from '../../kubernetes/workloads.js';
import type { DryRunResult, UpdateContext, UpdateTarget, Updater } from '../types.js';

export interface WorkloadUpdaterOptions {
  workloads: Workloads;
  /** Whether an image tag / digest exists in its registry (a datasource lookup); skipped when absent. */
  imageExists?: (image: string, target: UpdateTarget, signal?: AbortSignal) => Promise<boolean>;
  restartThreshold?: number;
  pollIntervalMs?: number;
  clock?: Clock;
  /** Who to name in the change-cause annotation (default "safe-updater"). */
  actor?: string;
}

export interface WorkloadFacts {
  /** The image before the update: what a rollback restores. */
  image: string;
  /** The image the update sets. */
  targetImage: string;
  container: string;
  kind: WorkloadKind;
  generation: number;
}

export const ANNOTATIONS = {
  changeCause: 'kubernetes.io/change-cause',
  previousImage: 'safe-updater.io/previous-image',
  updatedAt: 'safe-updater.io/updated-at',
} as const;

const TAG_FORMAT = /^[\w][\w.-]{0,127}$/;
const DIGEST_FORMAT = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** The same image reference with another tag and/or digest; the registry/repository spelling is kept. */
export function imageWithVersion(image: string, target: UpdateTarget): string {
  let name = image.replace(/@.*$/, '');
  const lastSlash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > lastSlash) name = name.slice(0, colon);
  return `${name}:${target.version}${target.digest ? `@${target.digest}` : ''}`;
}

export function readWorkloadFacts(facts: Record<string, unknown>): WorkloadFacts {
  const { image, targetImage, container, kind } = facts;
  if (typeof image !== 'string' || typeof targetImage !== 'string' || typeof container !== 'string') {
    throw new UsageError('the update record holds no previous image to roll back to');
  }
  return {
    image,
    targetImage,
    container,
    kind: WORKLOAD_KINDS.includes(kind as WorkloadKind) ? (kind as WorkloadKind) : 'Deployment',
    generation: Number(facts.generation) || 0,
  };
}

export function workloadRef(asset: Asset): WorkloadRef & { container: string } {
  if (!asset.workload) throw new UsageError(`${asset.id} is not a Kubernetes workload asset`);
  return {
    kind: asset.workload.kind,
    namespace: asset.namespace,
    name: asset.workload.name,
    container: asset.workload.container,
  };
}

/** JSON patch ops setting annotations, creating the map when the object has none. */
export function annotationOps(workload: Workload, annotations: Record<string, string>): JsonPatchOp[] {
  if (!workload.metadata.annotations)
    return [{ op: 'add', path: '/metadata/annotations', value: annotations }];
  return Object.entries(annotations).map(([key, value]) => ({
    op: 'add' as const,
    path: `/metadata/annotations/${jsonPointerKey(key)}`,
    value,
  }));
}

export class WorkloadUpdater implements Updater {
  readonly kind = 'kubernetes' as const;
  private readonly clock: Clock;

  constructor(private readonly options: WorkloadUpdaterOptions) {
    this.clock = options.clock ?? systemClock;
  }

  private async readContainer(asset: Asset): Promise<{ workload: Workload; path: string; image: string }> {
    const ref = workloadRef(asset);
    const workload = await this.options.workloads.read(ref);
    return { workload, ...containerImagePath(workload, ref.container) };
  }

  async refresh(asset: Asset): Promise<Asset> {
    const { image } = await this.readContainer(asset);
    const reference = parseImageReference(image);
    return {
      ...asset,
      current: {
        version: reference.tag ?? 'latest',
        ...(reference.digest ? { digest: reference.digest } : {}),
      },
    };
  }

  async validate(asset: Asset, target: UpdateTarget, ctx: UpdateContext): Promise<void> {
    if (!TAG_FORMAT.test(target.version))
      throw new UsageError(`"${target.version}" is not a valid image tag`);
    if (target.digest !== undefined && !DIGEST_FORMAT.test(target.digest)) {
      throw new UsageError(`"${target.digest}" is not a valid image digest`);
    }
    const { image } = await this.readContainer(asset);
    if (this.options.imageExists) {
      ctx.progress?.(`checking that ${imageWithVersion(image, target)} exists`);
      if (!(await this.options.imageExists(image, target, ctx.signal))) {
        throw new NotFoundError(`image ${imageWithVersion(image, target)} does not exist in its registry`);
      }
    }
  }

  async prepare(asset: Asset, target: UpdateTarget, _ctx: UpdateContext): Promise<Record<string, unknown>> {
    const ref = workloadRef(asset);
    const { workload, image } = await this.readContainer(asset);
    const facts: WorkloadFacts = {
      image,
      targetImage: imageWithVersion(image, target),
      container: ref.container,
      kind: ref.kind,
      generation: workload.metadata.generation ?? 0,
    };
    return { ...facts };
  }

  async dryRun(asset: Asset, target: UpdateTarget, _ctx: UpdateContext): Promise<DryRunResult> {
    const { workload, path, image } = await this.readContainer(asset);
    const next = imageWithVersion(image, target);
    const label = `${workload.kind} ${workload.namespace}/${workload.name} container ${workloadRef(asset).container}`;
    if (next === image) return { summary: `${label} already runs ${image}`, diff: '' };
    return {
      summary: `${label}: image ${image} → ${next}`,
      diff: `--- ${label}\n+++ ${label}\n@@ ${path} @@\n-image: ${image}\n+image: ${next}\n`,
    };
  }

  /** Replaces `from` with `to` atomically: the API server refuses the whole patch when the image is no longer `from`. */
  private async swapImage(asset: Asset, from: string, to: string, cause: string): Promise<void> {
    const { workload, path } = await this.readContainer(asset);
    const ops: JsonPatchOp[] = [
      { op: 'test', path, value: from },
      { op: 'replace', path, value: to },
      ...annotationOps(workload, {
        [ANNOTATIONS.changeCause]: cause,
        [ANNOTATIONS.previousImage]: from,
        [ANNOTATIONS.updatedAt]: this.clock.now().toISOString(),
      }),
    ];
    try {
      await this.options.workloads.patch(workloadRef(asset), ops);
    } catch (error) {
      if (error instanceof ConflictError) {
        throw new ConflictError(
          `the image of ${asset.id} is no longer ${from}: changed by someone else meanwhile`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  async apply(
    asset: Asset,
    target: UpdateTarget,
    facts: Record<string, unknown>,
    ctx: UpdateContext,
  ): Promise<void> {
    const f = readWorkloadFacts(facts);
    const { image } = await this.readContainer(asset);
    if (image === f.targetImage) return; // already applied (a resumed update)
    ctx.progress?.(`setting ${asset.id} to ${f.targetImage}`);
    const actor = this.options.actor ?? 'safe-updater';
    await this.swapImage(
      asset,
      f.image,
      f.targetImage,
      `${actor}: update container ${f.container} to ${target.version}`,
    );
  }

  private watch(
    asset: Asset,
    ctx: UpdateContext,
    beforeEachLook?: () => Promise<void>,
  ): Promise<HealthStatus> {
    const ref = workloadRef(asset);
    return watchWorkloads(this.options.workloads, async () => [ref], ctx, {
      clock: this.clock,
      pollIntervalMs: this.options.pollIntervalMs,
      restartThreshold: this.options.restartThreshold,
      beforeEachLook,
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
    const f = readWorkloadFacts(facts);
    const { image } = await this.readContainer(asset);
    if (image !== f.image) {
      if (image !== f.targetImage) {
        throw new RollbackFailedError(
          `${asset.id} runs ${image}, neither the previous ${f.image} nor the target ${f.targetImage}: left as it is`,
        );
      }
      ctx.progress?.(`restoring ${asset.id} to ${f.image}`);
      const actor = this.options.actor ?? 'safe-updater';
      try {
        await this.swapImage(
          asset,
          f.targetImage,
          f.image,
          `${actor}: rollback of container ${f.container} to ${f.image}`,
        );
      } catch (error) {
        throw new RollbackFailedError(
          `rollback of ${asset.id} to ${f.image} failed: ${errorMessage(error)}`,
          { cause: error },
        );
      }
    }
    const unstick = f.kind === 'StatefulSet' ? () => this.deleteStuckPods(asset) : undefined;
    const health = await this.watch(asset, ctx, unstick);
    if (!health.healthy) {
      throw new RollbackFailedError(
        `${asset.id} is not healthy after restoring ${f.image}: ${health.message}`,
      );
    }
  }

  /**
   * StatefulSet "forced rollback": with OrderedReady the controller waits for a broken pod to become Ready
   * before it replaces it, which never happens. Pods that are NOT of the update revision (after the
   * rollback: the failed revision) and failing or not ready are deleted, so the controller recreates them.
   */
  private async deleteStuckPods(asset: Asset): Promise<void> {
    const workload = await this.options.workloads.read(workloadRef(asset));
    if (workload.kind !== 'StatefulSet' || !observedGenerationCaughtUp(workload)) return;
    const revision = workload.object.status?.updateRevision;
    if (!revision) return;
    const pods = await this.options.workloads.ownedPods(workload);
    for (const pod of pods) {
      if (pod.metadata?.deletionTimestamp || pod.metadata?.labels?.['controller-revision-hash'] === revision)
        continue;
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      if (ready && podSignals([pod]).length === 0) continue;
      await this.options.workloads.deletePod(workload.namespace, pod.metadata?.name ?? '');
    }
  }

  async locate(
    asset: Asset,
    _target: UpdateTarget,
    facts: Record<string, unknown>,
  ): Promise<'target' | 'previous' | 'unknown'> {
    const f = readWorkloadFacts(facts);
    const { image } = await this.readContainer(asset);
    if (image === f.targetImage) return 'target';
    if (image === f.image) return 'previous';
    return 'unknown';
  }
}
