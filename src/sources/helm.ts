/**
 * Discovery of Helm releases (`helm list --all -o json`, Helm 3 and Helm 4).
 *
 * Public API:
 *   createHelmSource(options: HelmSourceOptions) → Source
 *
 * A release learns where newer chart versions come from through the configuration's asset list
 * (`assets: [{ id: helm/NS/RELEASE, source: { helmRepo, chart } | { oci } }]`): a release's stored chart
 * metadata does not say which repository it was installed from. A release without a source is still
 * returned (status can show it) and reported as a problem, never dropped silently.
 */
import { errorMessage } from '../core/errors.js';
import type { Asset, HealthCheckSpec } from '../core/model.js';
import type { HelmClient } from '../helm/helm-client.js';
import type { HelmReleaseSummary } from '../helm/output.js';
import { resolveHealthChecks, toVersionSource, type AssetEntry } from './asset-entries.js';
import type { DiscoveryProblem, DiscoveryResult, Source } from './types.js';

export interface HelmSourceOptions {
  helm: HelmClient;
  /** Namespaces to look in; empty or absent means all. */
  namespaces?: readonly string[];
  /** The configuration's asset list; only helm/… entries are read. */
  assets?: readonly AssetEntry[];
  defaultPolicy: string;
  /** Named health checks from the configuration. */
  healthChecks?: Readonly<Record<string, HealthCheckSpec>>;
}

export function helmAssetId(namespace: string, release: string): string {
  return `helm/${namespace}/${release}`;
}

export function createHelmSource(options: HelmSourceOptions): Source {
  return {
    kind: 'helm',
    async discover(): Promise<DiscoveryResult> {
      const problems: DiscoveryProblem[] = [];
      const namespaces = options.namespaces?.length ? options.namespaces : [undefined];
      const releases: HelmReleaseSummary[] = [];
      for (const namespace of namespaces) {
        try {
          releases.push(...(await options.helm.list(namespace ? { namespace } : {})));
        } catch (error) {
          problems.push({
            subject: `helm releases in ${namespace ? `namespace ${namespace}` : 'all namespaces'}`,
            message: errorMessage(error),
            // Whatever failed (cluster unreachable, helm missing), what runs there is unknown.
            unavailable: true,
          });
        }
      }
      const entries = new Map(
        (options.assets ?? []).filter((a) => a.id.startsWith('helm/')).map((a) => [a.id, a]),
      );
      const assets = releases.map((release) =>
        toAsset(release, entries.get(helmAssetId(release.namespace, release.name)), options, problems),
      );
      return { assets, problems };
    },
  };
}

function toAsset(
  release: HelmReleaseSummary,
  entry: AssetEntry | undefined,
  options: HelmSourceOptions,
  problems: DiscoveryProblem[],
): Asset {
  const id = helmAssetId(release.namespace, release.name);
  const source = entry?.source ? toVersionSource(entry.source) : undefined;
  if (!source) {
    problems.push({
      subject: id,
      message: `no chart source for release ${release.name} (chart ${release.chart}): add { id: ${id}, source: { helmRepo: URL, chart: ${release.chartName} } or { oci: oci://… } } to assets`,
      unavailable: false,
    });
  } else if (source.type === 'oci-image') {
    problems.push({
      subject: id,
      message: `asset ${id} names an image source; a Helm release needs helmRepo or oci`,
      unavailable: false,
    });
  }
  const { checks, unknown } = resolveHealthChecks(entry?.healthChecks ?? [], options.healthChecks ?? {});
  for (const name of unknown)
    problems.push({ subject: id, message: `unknown health check "${name}"`, unavailable: false });
  return {
    id,
    kind: 'helm',
    name: release.name,
    namespace: release.namespace,
    current: {
      version: release.chartVersion,
      ...(release.appVersion ? { appVersion: release.appVersion } : {}),
    },
    ...(source && source.type !== 'oci-image' ? { source } : {}),
    release: {
      name: release.name,
      revision: release.revision,
      status: release.status,
      chart: release.chartName,
    },
    labels: {},
    annotations: {},
    policy: entry?.policy ?? options.defaultPolicy,
    healthChecks: checks,
    ...(entry?.monitorOnly ? { monitorOnly: true } : {}),
  };
}
