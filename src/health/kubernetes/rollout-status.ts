/**
 * The rules of `kubectl rollout status` (k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go), as a pure
 * function of one workload object.
 *
 * Public API:
 *   rolloutStatus(workload) → RolloutStatus { done, failed?, message, desired, updated, ready, available }
 */
import type { Workload } from '../../kubernetes/workloads.js';

export interface RolloutStatus {
  /** The rollout has finished: every replica runs the newest template and is available. */
  done: boolean;
  /** A definite failure reported by the controller itself (ProgressDeadlineExceeded). */
  failed?: string;
  /** In kubectl's words: what is being waited for. */
  message: string;
  desired: number;
  updated: number;
  ready: number;
  available: number;
}

export function rolloutStatus(workload: Workload): RolloutStatus {
  const label = `${workload.kind} ${workload.namespace}/${workload.name}`;
  switch (workload.kind) {
    case 'Deployment': {
      const spec = workload.object.spec;
      const status = workload.object.status ?? {};
      const desired = spec?.replicas ?? 1;
      const counts = {
        desired,
        updated: status.updatedReplicas ?? 0,
        ready: status.readyReplicas ?? 0,
        available: status.availableReplicas ?? 0,
      };
      if ((workload.metadata.generation ?? 0) > (status.observedGeneration ?? -1)) {
        return { ...counts, done: false, message: `waiting for ${label} spec update to be observed` };
      }
      const progressing = status.conditions?.find((c) => c.type === 'Progressing');
      if (progressing?.reason === 'ProgressDeadlineExceeded') {
        return {
          ...counts,
          done: false,
          failed: `${label} exceeded its progress deadline`,
          message: progressing.message ?? '',
        };
      }
      if (counts.updated < desired) {
        return {
          ...counts,
          done: false,
          message: `${counts.updated} of ${desired} updated replicas of ${label}`,
        };
      }
      const total = status.replicas ?? 0;
      if (total > counts.updated) {
        return {
          ...counts,
          done: false,
          message: `${total - counts.updated} old replicas of ${label} pending termination`,
        };
      }
      if (counts.available < counts.updated) {
        return {
          ...counts,
          done: false,
          message: `${counts.available} of ${counts.updated} updated replicas of ${label} available`,
        };
      }
      return { ...counts, done: true, message: `${label} successfully rolled out` };
    }
    case 'StatefulSet': {
      const spec = workload.object.spec;
      const status = workload.object.status ?? { replicas: 0 };
      const desired = spec?.replicas ?? 1;
      const counts = {
        desired,
        updated: status.updatedReplicas ?? 0,
        ready: status.readyReplicas ?? 0,
        available: status.availableReplicas ?? status.readyReplicas ?? 0,
      };
      if ((workload.metadata.generation ?? 0) > (status.observedGeneration ?? -1)) {
        return { ...counts, done: false, message: `waiting for ${label} spec update to be observed` };
      }
      if (spec?.updateStrategy?.type === 'OnDelete') {
        return {
          ...counts,
          done: true,
          message: `${label} uses OnDelete: its pods change only when deleted`,
        };
      }
      if (counts.ready < desired) {
        return { ...counts, done: false, message: `${counts.ready} of ${desired} pods of ${label} ready` };
      }
      const partition = spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
      if (partition > 0) {
        const expected = desired - partition;
        if (counts.updated < expected) {
          return {
            ...counts,
            done: false,
            message: `${counts.updated} of ${expected} partitioned pods of ${label} updated`,
          };
        }
        return { ...counts, done: true, message: `partitioned roll out of ${label} complete` };
      }
      if (status.updateRevision !== status.currentRevision) {
        return {
          ...counts,
          done: false,
          message: `${counts.updated} of ${desired} pods of ${label} at the new revision`,
        };
      }
      return {
        ...counts,
        done: true,
        message: `${label} rolled out at revision ${status.currentRevision ?? '?'}`,
      };
    }
    case 'DaemonSet': {
      const status = workload.object.status;
      const desired = status?.desiredNumberScheduled ?? 0;
      const counts = {
        desired,
        updated: status?.updatedNumberScheduled ?? 0,
        ready: status?.numberReady ?? 0,
        available: status?.numberAvailable ?? 0,
      };
      if ((workload.metadata.generation ?? 0) > (status?.observedGeneration ?? -1)) {
        return { ...counts, done: false, message: `waiting for ${label} spec update to be observed` };
      }
      if (workload.object.spec?.updateStrategy?.type === 'OnDelete') {
        return {
          ...counts,
          done: true,
          message: `${label} uses OnDelete: its pods change only when deleted`,
        };
      }
      if (counts.updated < desired) {
        return {
          ...counts,
          done: false,
          message: `${counts.updated} of ${desired} updated pods of ${label} scheduled`,
        };
      }
      if (counts.available < desired) {
        return {
          ...counts,
          done: false,
          message: `${counts.available} of ${desired} updated pods of ${label} available`,
        };
      }
      return { ...counts, done: true, message: `${label} successfully rolled out` };
    }
    case 'CronJob':
      // A CronJob has no rollout: the next Job it starts uses the new template.
      return {
        done: true,
        message: `${label} has no rollout; its next run uses the new template`,
        desired: 0,
        updated: 0,
        ready: 0,
        available: 0,
      };
  }
}
