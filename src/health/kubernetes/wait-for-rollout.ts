/**
 * Watches workloads after a change until they are healthy, definitely failed, or the deadline passes.
 *
 * Public API:
 *   observeWorkloads(workloads, refs)            → an `observe` function reading each workload + its new pods
 *   assessRollout(observations, options)         → HealthStatus of one snapshot (pure)
 *   waitForRollout({ observe, timeoutMs, ... })  → HealthStatus; returns at the FIRST definite pod signal
 *                                                  (CrashLoopBackOff, ImagePullBackOff, OOMKilled, …), when every
 *                                                  rollout is done (healthy), or at the deadline (failed, with
 *                                                  what was still missing). Transient API errors are retried
 *                                                  until the deadline, then thrown (unknown is not "failed").
 *   watchWorkloads(workloads, refs, ctx, tuning)  → both together, as the updaters' verify and rollback use them
 */
import type { V1Pod } from '@kubernetes/client-node';
import { systemClock, type Clock } from '../../core/clock.js';
import { ExternalHostError } from '../../core/errors.js';
import type { HealthStatus } from '../../core/model.js';
import type { Workload, WorkloadRef, Workloads } from '../../kubernetes/workloads.js';
import { describeUnready, podSignals } from './pod-signals.js';
import { rolloutStatus, type RolloutStatus } from './rollout-status.js';

export interface WorkloadObservation {
  workload: Workload;
  rollout: RolloutStatus;
  /** Pods of the newest revision; undefined while that revision is not known yet. */
  pods: V1Pod[] | undefined;
}

export interface AssessOptions {
  restartThreshold?: number;
}

export interface RolloutWatchOptions extends AssessOptions {
  observe: () => Promise<WorkloadObservation[]>;
  timeoutMs: number;
  /** Poll interval (default 1 s): signals appear within seconds, so polling stays cheap and simple. */
  intervalMs?: number;
  clock?: Clock;
  signal?: AbortSignal;
  progress?: (message: string) => void;
}

export function observeWorkloads(
  workloads: Workloads,
  refs: () => Promise<WorkloadRef[]>,
): () => Promise<WorkloadObservation[]> {
  return async () => {
    const list = await refs();
    return Promise.all(
      list.map(async (ref) => {
        const workload = await workloads.read(ref);
        return { workload, rollout: rolloutStatus(workload), pods: await workloads.revisionPods(workload) };
      }),
    );
  };
}

export function assessRollout(
  observations: readonly WorkloadObservation[],
  options: AssessOptions = {},
): HealthStatus {
  const desired = observations.reduce((n, o) => n + o.rollout.desired, 0);
  const ready = observations.reduce((n, o) => n + Math.min(o.rollout.ready, o.rollout.desired), 0);
  const base = {
    readyReplicas: ready,
    totalReplicas: desired,
    healthPercentage: desired === 0 ? 100 : Math.round((ready / desired) * 100),
  };
  const done = observations.filter((o) => o.rollout.done).map((o) => `${o.workload.kind}/${o.workload.name}`);
  const notDone = observations.filter((o) => !o.rollout.done);
  const signals = podSignals(
    observations.flatMap((o) => o.pods ?? []),
    options,
  );
  const definite = signals.find((s) => s.definite);
  if (definite) {
    return {
      ...base,
      healthy: false,
      verdict: 'failed',
      checksPassed: done,
      checksFailed: notDone.map((o) => `${o.workload.kind}/${o.workload.name}`),
      message: definite.text,
      signal: definite.text,
    };
  }
  const controllerFailure = observations.find((o) => o.rollout.failed);
  if (controllerFailure?.rollout.failed) {
    return {
      ...base,
      healthy: false,
      verdict: 'failed',
      checksPassed: done,
      checksFailed: [`${controllerFailure.workload.kind}/${controllerFailure.workload.name}`],
      message: `${controllerFailure.rollout.failed}: ${controllerFailure.rollout.message}`,
      signal: controllerFailure.rollout.failed,
    };
  }
  if (notDone.length === 0) {
    const message =
      observations.length === 0
        ? 'no workloads to watch'
        : observations.map((o) => o.rollout.message).join('; ');
    return { ...base, healthy: true, verdict: 'healthy', checksPassed: done, checksFailed: [], message };
  }
  const waiting = [
    ...notDone.map((o) => o.rollout.message),
    ...signals.map((s) => s.text),
    ...describeUnready(notDone.flatMap((o) => o.pods ?? [])),
  ];
  return {
    ...base,
    healthy: false,
    verdict: 'degraded',
    checksPassed: done,
    checksFailed: notDone.map((o) => `${o.workload.kind}/${o.workload.name}`),
    message: waiting.join('; '),
  };
}

export async function waitForRollout(options: RolloutWatchOptions): Promise<HealthStatus> {
  const clock = options.clock ?? systemClock;
  const interval = options.intervalMs ?? 1000;
  const deadline = clock.now().getTime() + options.timeoutMs;
  let last: HealthStatus | undefined;
  let lastError: unknown;
  let lastMessage = '';
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      last = assessRollout(await options.observe(), options);
      lastError = undefined;
      if (last.verdict !== 'degraded') return last;
      if (last.message !== lastMessage) options.progress?.(last.message);
      lastMessage = last.message;
    } catch (error) {
      if (!(error instanceof ExternalHostError) || !error.transient) throw error;
      lastError = error;
    }
    const left = deadline - clock.now().getTime();
    if (left <= 0) break;
    await clock.sleep(Math.min(interval, left), options.signal);
  }
  if (lastError !== undefined || !last) throw lastError;
  const seconds = Math.round(options.timeoutMs / 1000);
  const text = `not healthy after ${seconds}s: ${last.message}`;
  return { ...last, healthy: false, verdict: 'failed', message: text, signal: text };
}

export interface WatchTuning {
  clock?: Clock;
  pollIntervalMs?: number;
  restartThreshold?: number;
  /** Runs before each look (the StatefulSet rollback deletes stuck pods here). */
  beforeEachLook?: () => Promise<void>;
}

export function watchWorkloads(
  workloads: Workloads,
  refs: () => Promise<WorkloadRef[]>,
  ctx: { timeoutMs: number; signal?: AbortSignal; progress?: (message: string) => void },
  tuning: WatchTuning = {},
): Promise<HealthStatus> {
  const observe = observeWorkloads(workloads, refs);
  const before = tuning.beforeEachLook;
  return waitForRollout({
    observe: before
      ? async () => {
          await before();
          return observe();
        }
      : observe,
    timeoutMs: ctx.timeoutMs,
    clock: tuning.clock,
    intervalMs: tuning.pollIntervalMs,
    restartThreshold: tuning.restartThreshold,
    signal: ctx.signal,
    progress: ctx.progress,
  });
}
