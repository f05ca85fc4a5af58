/**
 * Failure signals read from pod objects — only pods of the NEW revision are to be passed in: during a
 * rolling update the old pods keep running, and their past restarts say nothing about the new version.
 *
 * Public API:
 *   podSignals(pods, { restartThreshold }) → PodSignal[]   definite ones first
 *   describeUnready(pods) → string[]                         why pods are not Ready, for the deadline message
 *
 * A definite signal means waiting longer will not help, so the verifier fails at once instead of at the
 * deadline: the kubelet's back-off states (CrashLoopBackOff, ImagePullBackOff), configuration errors that
 * need a new spec (CreateContainerConfigError, InvalidImageName), a container killed for memory (OOMKilled),
 * restarts reaching the threshold, and a pod in phase Failed.
 */
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';

export interface PodSignal {
  pod: string;
  container?: string;
  reason: string;
  restarts: number;
  definite: boolean;
  /** e.g. "CrashLoopBackOff in pod web-7d9 container app (3 restarts)" */
  text: string;
}

export interface PodSignalOptions {
  /** Restarts of one container at which the pod counts as failing (default 3). */
  restartThreshold?: number;
}

const DEFINITE_WAITING = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'InvalidImageName',
  'RunContainerError',
  'ErrImageNeverPull',
]);

export const DEFAULT_RESTART_THRESHOLD = 3;

export function podSignals(pods: readonly V1Pod[], options: PodSignalOptions = {}): PodSignal[] {
  const threshold = options.restartThreshold ?? DEFAULT_RESTART_THRESHOLD;
  const signals: PodSignal[] = [];
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const podName = pod.metadata?.name ?? '?';
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    let found = false;
    for (const status of statuses) {
      const signal = containerSignal(podName, status, threshold);
      if (signal) {
        signals.push(signal);
        found = true;
      }
    }
    if (!found && pod.status?.phase === 'Failed') {
      const reason = pod.status.reason ?? 'Failed';
      signals.push({
        pod: podName,
        reason,
        restarts: 0,
        definite: true,
        text: `${reason} in pod ${podName} (phase Failed)`,
      });
    }
    const unschedulable = pod.status?.conditions?.find(
      (c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable',
    );
    if (unschedulable) {
      signals.push({
        pod: podName,
        reason: 'Unschedulable',
        restarts: 0,
        definite: false,
        text: `pod ${podName} unschedulable: ${unschedulable.message ?? ''}`.trim(),
      });
    }
  }
  return signals.sort((a, b) => Number(b.definite) - Number(a.definite));
}

function containerSignal(pod: string, status: V1ContainerStatus, threshold: number): PodSignal | undefined {
  const restarts = status.restartCount ?? 0;
  const where = `in pod ${pod} container ${status.name}`;
  const restartsText = restarts > 0 ? ` (${restarts} restart${restarts === 1 ? '' : 's'})` : '';
  const make = (reason: string, detail = ''): PodSignal => ({
    pod,
    container: status.name,
    reason,
    restarts,
    definite: true,
    text: `${reason} ${where}${restartsText}${detail}`,
  });
  const waiting = status.state?.waiting?.reason;
  if (waiting && DEFINITE_WAITING.has(waiting)) {
    const message = status.state?.waiting?.message;
    return make(waiting, message ? `: ${message}` : '');
  }
  if (
    status.state?.terminated?.reason === 'OOMKilled' ||
    status.lastState?.terminated?.reason === 'OOMKilled'
  ) {
    return make('OOMKilled');
  }
  if (restarts >= threshold) {
    const exit = status.lastState?.terminated?.exitCode;
    return make('RestartLoop', exit === undefined ? '' : `, last exit code ${exit}`);
  }
  return undefined;
}

/** Why each pod is not Ready, in words; empty when all are. */
export function describeUnready(pods: readonly V1Pod[]): string[] {
  const lines: string[] = [];
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '?';
    const ready = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    if (ready) continue;
    const notReady = (pod.status?.containerStatuses ?? []).filter((c) => !c.ready);
    if (notReady.length === 0) {
      lines.push(`pod ${name} not ready (phase ${pod.status?.phase ?? 'unknown'})`);
      continue;
    }
    for (const c of notReady) {
      const state =
        c.state?.waiting?.reason ??
        (c.state?.running ? 'Running' : (c.state?.terminated?.reason ?? 'unknown'));
      lines.push(`pod ${name} container ${c.name} not ready (${state})`);
    }
  }
  return lines;
}
