/**
 * Dependencies between assets for the queue: B is updated only after A's update succeeded and proved
 * healthy. Docker containers declare them with Watchtower's depends-on label (src/sources/docker.ts); any
 * asset can declare them with the annotation (or label) `safe-updater.io/depends-on`: a comma-separated list
 * where each entry is
 *   - a full asset id (`k8s/shop/deployment/db/container/postgres`, `helm/shop/redis`), or
 *   - a short name in the asset's own namespace: `deployment/db` (every container of that workload),
 *     `statefulset/db`, `helm/redis` or just `redis` (a Helm release, or a Docker container on the same host).
 * Entries are resolved against the assets the last check discovered; an entry naming nothing is ignored by
 * the queue (there is nothing to wait for) and reported by `unresolvedDependencies` for the log.
 */
import type { Asset } from '../core/model.js';

export const DEPENDS_ON_KEY = 'safe-updater.io/depends-on';

function entriesOf(asset: Asset): string[] {
  const value = asset.annotations[DEPENDS_ON_KEY] ?? asset.labels[DEPENDS_ON_KEY] ?? '';
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

function matches(entry: string, asset: Asset, candidate: Asset): boolean {
  if (candidate.id === asset.id) return false;
  if (candidate.id === entry) return true;
  if (candidate.namespace !== asset.namespace) return false;
  const slash = entry.indexOf('/');
  if (slash < 0) {
    return (candidate.kind === 'helm' || candidate.kind === 'docker') && candidate.name === entry;
  }
  const kind = entry.slice(0, slash).toLowerCase();
  const name = entry.slice(slash + 1);
  if (kind === 'helm') return candidate.kind === 'helm' && candidate.name === name;
  if (kind === 'docker') return candidate.kind === 'docker' && candidate.name === name;
  return candidate.id.startsWith(`k8s/${asset.namespace}/${kind}/${name}/`);
}

/** The ids of the known assets this asset's `safe-updater.io/depends-on` names. */
export function annotatedDependencies(asset: Asset, known: readonly Asset[]): string[] {
  const ids = new Set<string>();
  for (const entry of entriesOf(asset)) {
    for (const candidate of known) if (matches(entry, asset, candidate)) ids.add(candidate.id);
  }
  return [...ids].sort();
}

/** Entries of the annotation that name no known asset (a typo, or an asset outside the watched scope). */
export function unresolvedDependencies(asset: Asset, known: readonly Asset[]): string[] {
  return entriesOf(asset).filter((entry) => !known.some((candidate) => matches(entry, asset, candidate)));
}
