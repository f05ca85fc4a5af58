/**
 * Discovery of Kubernetes workloads (Deployments, StatefulSets, DaemonSets, CronJobs): one asset per
 * container, init containers included.
 *
 * Public API:
 *   createKubernetesSource(options: KubernetesSourceOptions) → Source
 *   workloadAssetId(namespace, kind, name, container) → "k8s/NS/KIND/NAME/container/C"
 *
 * A workload takes part when it opts in by annotation (`safe-updater.io/enable: "true"`, or a policy
 * annotation `safe-updater.io/policy` / Keel's `keel.sh/policy`) or when the configuration's asset list names
 * one of its containers; `safe-updater.io/enable: "false"` opts it out unless the asset list names it.
 * Policy: the asset list's, else the annotation's, else the default.
 */
import type { V1Container } from '@kubernetes/client-node';
import { errorMessage } from '../core/errors.js';
import type { Asset, HealthCheckSpec } from '../core/model.js';
import { parseImageReference } from '../datasources/oci-registry/image-ref.js';
import type { Workload, Workloads } from '../kubernetes/workloads.js';
import {
  annotationSettings,
  resolveHealthChecks,
  toVersionSource,
  type AssetEntry,
} from './asset-entries.js';
import type { DiscoveryProblem, DiscoveryResult, Source } from './types.js';

export interface KubernetesSourceOptions {
  workloads: Workloads;
  /** Namespaces to look in; empty or absent means all. */
  namespaces?: readonly string[];
  /** The configuration's asset list; only k8s/… entries are read. */
  assets?: readonly AssetEntry[];
  defaultPolicy: string;
  healthChecks?: Readonly<Record<string, HealthCheckSpec>>;
}

export function workloadAssetId(namespace: string, kind: string, name: string, container: string): string {
  return `k8s/${namespace}/${kind.toLowerCase()}/${name}/container/${container}`;
}

export function createKubernetesSource(options: KubernetesSourceOptions): Source {
  return {
    kind: 'kubernetes',
    async discover(): Promise<DiscoveryResult> {
      const problems: DiscoveryProblem[] = [];
      const namespaces = options.namespaces?.length ? options.namespaces : [undefined];
      const found: Workload[] = [];
      for (const namespace of namespaces) {
        try {
          found.push(...(await options.workloads.list(namespace)));
        } catch (error) {
          problems.push({
            subject: `workloads in ${namespace ? `namespace ${namespace}` : 'all namespaces'}`,
            message: errorMessage(error),
            unavailable: true,
          });
        }
      }
      const entries = new Map(
        (options.assets ?? []).filter((a) => a.id.startsWith('k8s/')).map((a) => [a.id, a]),
      );
      const assets = found.flatMap((workload) => workloadAssets(workload, entries, options, problems));
      return { assets, problems };
    },
  };
}

function workloadAssets(
  workload: Workload,
  entries: ReadonlyMap<string, AssetEntry>,
  options: KubernetesSourceOptions,
  problems: DiscoveryProblem[],
): Asset[] {
  const annotations = workload.metadata.annotations ?? {};
  const settings = annotationSettings(annotations);
  const containers: { container: V1Container; init: boolean }[] = [
    ...(workload.podSpec.initContainers ?? []).map((container) => ({ container, init: true })),
    ...workload.podSpec.containers.map((container) => ({ container, init: false })),
  ];
  const assets: Asset[] = [];
  for (const { container, init } of containers) {
    const id = workloadAssetId(workload.namespace, workload.kind, workload.name, container.name);
    const entry = entries.get(id);
    if (!entry && settings.enabled !== true) continue;
    const image = container.image ?? '';
    let reference;
    try {
      reference = parseImageReference(image);
    } catch (error) {
      problems.push({ subject: id, message: errorMessage(error), unavailable: false });
      continue;
    }
    const source = entry?.source
      ? toVersionSource(entry.source)
      : { type: 'oci-image' as const, image: `${reference.registry}/${reference.repository}` };
    const names = [...(entry?.healthChecks ?? []), ...settings.healthChecks];
    const { checks, unknown } = resolveHealthChecks([...new Set(names)], options.healthChecks ?? {});
    for (const name of unknown)
      problems.push({ subject: id, message: `unknown health check "${name}"`, unavailable: false });
    assets.push({
      id,
      kind: 'kubernetes',
      name: workload.name,
      namespace: workload.namespace,
      current: {
        version: reference.tag ?? 'latest',
        ...(reference.digest ? { digest: reference.digest } : {}),
      },
      source,
      workload: {
        kind: workload.kind,
        name: workload.name,
        container: container.name,
        ...(init ? { initContainer: true } : {}),
        imagePullSecrets: (workload.podSpec.imagePullSecrets ?? [])
          .map((s) => s.name ?? '')
          .filter((s) => s !== ''),
      },
      labels: workload.metadata.labels ?? {},
      annotations,
      policy: entry?.policy ?? settings.policy ?? options.defaultPolicy,
      healthChecks: checks,
      ...(entry?.monitorOnly || settings.monitorOnly ? { monitorOnly: true } : {}),
    });
  }
  return assets;
}
