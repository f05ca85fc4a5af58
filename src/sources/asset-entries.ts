/**
 * What the configuration's asset list (`assets:`) and opt-in annotations add to a discovered asset, shared by
 * the Helm and Kubernetes sources.
 *
 * Public API:
 *   AssetEntry                           one `assets[]` entry (config's AssetConfig)
 *   toVersionSource(source)              { helmRepo, chart } | { oci } | { image } → VersionSource
 *   resolveHealthChecks(names, known)    names → specs, unknown names as problems
 *   annotationSettings(annotations)      opt-in / opt-out, policy, monitor-only, health checks, match-tag
 */
import type { HealthCheckSpec, VersionSource } from '../core/model.js';
import type { AssetConfig } from '../config/schema.js';

export type AssetEntry = Pick<AssetConfig, 'id' | 'source' | 'policy' | 'monitorOnly'> & {
  healthChecks?: string[];
};

export const ANNOTATION = {
  enable: 'safe-updater.io/enable',
  policy: 'safe-updater.io/policy',
  monitorOnly: 'safe-updater.io/monitor-only',
  healthCheck: 'safe-updater.io/health-check',
  matchTag: 'safe-updater.io/match-tag',
  keelPolicy: 'keel.sh/policy',
} as const;

export function toVersionSource(source: NonNullable<AssetEntry['source']>): VersionSource {
  if ('helmRepo' in source) return { type: 'helm-repo', repoUrl: source.helmRepo, chart: source.chart };
  if ('oci' in source) {
    const chart = source.oci.replace(/\/+$/, '').split('/').pop() ?? '';
    return { type: 'oci-chart', ref: source.oci, chart };
  }
  return { type: 'oci-image', image: source.image };
}

export function resolveHealthChecks(
  names: readonly string[],
  known: Readonly<Record<string, HealthCheckSpec>>,
): { checks: HealthCheckSpec[]; unknown: string[] } {
  const checks: HealthCheckSpec[] = [];
  const unknown: string[] = [];
  for (const name of names) {
    const spec = known[name];
    if (spec) checks.push(spec);
    else unknown.push(name);
  }
  return { checks, unknown };
}

export interface AnnotationSettings {
  /** true: opted in; false: opted out explicitly; undefined: annotations say nothing. */
  enabled: boolean | undefined;
  policy?: string;
  monitorOnly: boolean;
  healthChecks: string[];
  matchTag?: string;
}

const TRUE = new Set(['true', 'yes', '1', 'on']);
const FALSE = new Set(['false', 'no', '0', 'off']);

/** Keel and safe-updater annotations; a policy annotation alone opts a workload in, as with Keel. */
export function annotationSettings(annotations: Readonly<Record<string, string>>): AnnotationSettings {
  const enable = annotations[ANNOTATION.enable]?.trim().toLowerCase();
  const policy = (annotations[ANNOTATION.policy] ?? annotations[ANNOTATION.keelPolicy])?.trim() || undefined;
  let enabled: boolean | undefined;
  if (enable !== undefined && FALSE.has(enable)) enabled = false;
  else if ((enable !== undefined && TRUE.has(enable)) || policy !== undefined) enabled = true;
  const monitor = annotations[ANNOTATION.monitorOnly]?.trim().toLowerCase();
  return {
    enabled,
    policy,
    monitorOnly: monitor !== undefined && TRUE.has(monitor),
    healthChecks: (annotations[ANNOTATION.healthCheck] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    matchTag: annotations[ANNOTATION.matchTag]?.trim() || undefined,
  };
}
