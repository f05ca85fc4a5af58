/**
 * Exec checks for Kubernetes assets: the command runs in a Ready pod of the asset's newest revision
 * through the pods/exec API (src/kubernetes/workloads.ts). A Helm release's workloads are the ones
 * labelled app.kubernetes.io/instance=<release> (the label Helm's chart conventions set). No Ready pod
 * yet is a transient failure: the executor throws and the check retries.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { Asset } from '../../core/model.js';
import type { Workload, Workloads } from '../../kubernetes/workloads.js';
import type { CommandExecutor, ExecRequest, ExecResult } from './exec.js';

function isReady(pod: V1Pod): boolean {
  return (
    pod.status?.phase === 'Running' &&
    (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') &&
    pod.metadata?.deletionTimestamp === undefined
  );
}

async function workloadsOf(workloads: Workloads, asset: Asset): Promise<Workload[]> {
  if (asset.workload) {
    return [
      await workloads.read({
        kind: asset.workload.kind,
        namespace: asset.namespace,
        name: asset.workload.name,
      }),
    ];
  }
  const release = asset.release?.name ?? asset.name;
  return workloads.list(asset.namespace, `app.kubernetes.io/instance=${release}`);
}

export function createKubernetesExecutor(workloads: Workloads): CommandExecutor {
  return {
    async exec(request: ExecRequest): Promise<ExecResult> {
      const { asset } = request;
      for (const workload of await workloadsOf(workloads, asset)) {
        const pod = ((await workloads.revisionPods(workload)) ?? []).find(isReady);
        const podName = pod?.metadata?.name;
        if (!pod || !podName) continue;
        const container = request.container ?? asset.workload?.container ?? pod.spec?.containers[0]?.name;
        if (!container) continue;
        return workloads.exec(asset.namespace, podName, container, request.command, request.timeoutMs);
      }
      throw new Error(`no Ready pod of ${asset.id} to run the check in`);
    },
  };
}
