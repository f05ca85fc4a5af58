/**
 * Container labels that configure safe-updater, ours and Watchtower's
 * (https://containrrr.dev/watchtower/arguments/ and /container-selection/, /lifecycle-hooks/).
 */
import { ConfigError } from '../core/errors.js';

export const LABELS = {
  enable: 'safe-updater.io/enable',
  monitorOnly: 'safe-updater.io/monitor-only',
  policy: 'safe-updater.io/policy',
  keelPolicy: 'keel.sh/policy',
  healthCheck: 'safe-updater.io/health-check',
  matchTag: 'safe-updater.io/match-tag',
  dependsOn: 'safe-updater.io/depends-on',
  preUpdate: 'safe-updater.io/pre-update',
  postUpdate: 'safe-updater.io/post-update',
  hookTimeout: 'safe-updater.io/hook-timeout',
  watchtowerEnable: 'com.centurylinklabs.watchtower.enable',
  watchtowerMonitorOnly: 'com.centurylinklabs.watchtower.monitor-only',
  watchtowerDependsOn: 'com.centurylinklabs.watchtower.depends-on',
  watchtowerPreUpdate: 'com.centurylinklabs.watchtower.lifecycle.pre-update',
  watchtowerPostUpdate: 'com.centurylinklabs.watchtower.lifecycle.post-update',
  watchtowerPreUpdateTimeout: 'com.centurylinklabs.watchtower.lifecycle.pre-update-timeout',
  watchtowerPostUpdateTimeout: 'com.centurylinklabs.watchtower.lifecycle.post-update-timeout',
} as const;

type Labels = Readonly<Record<string, string>>;

function truthy(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off', ''].includes(v)) return false;
  return undefined;
}

/**
 * Whether a container takes part: an explicit `false` in either label wins (opt-out even when `all`),
 * an explicit `true` opts in, otherwise `all` decides.
 */
export function isEnabled(labels: Labels, all: boolean): boolean {
  const ours = truthy(labels[LABELS.enable]);
  const watchtower = truthy(labels[LABELS.watchtowerEnable]);
  if (ours === false || watchtower === false) return false;
  if (ours === true || watchtower === true) return true;
  return all;
}

export function isMonitorOnly(labels: Labels): boolean {
  return truthy(labels[LABELS.monitorOnly]) === true || truthy(labels[LABELS.watchtowerMonitorOnly]) === true;
}

export function policyLabel(labels: Labels): string | undefined {
  const value = labels[LABELS.policy] ?? labels[LABELS.keelPolicy];
  return value?.trim() || undefined;
}

function list(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((item) => item.trim().replace(/^\//, ''))
    .filter((item) => item.length > 0);
}

export function healthCheckNames(labels: Labels): string[] {
  return list(labels[LABELS.healthCheck]);
}

/**
 * The containers this one depends on: the depends-on labels (comma-separated names) and the container
 * whose network namespace it joins (`network_mode: container:X`, given here as the peer's name).
 */
export function dependencies(labels: Labels, networkPeer?: string): string[] {
  const names = [...list(labels[LABELS.dependsOn]), ...list(labels[LABELS.watchtowerDependsOn])];
  if (networkPeer) names.push(networkPeer.replace(/^\//, ''));
  return [...new Set(names)];
}

export interface LifecycleHook {
  /** Argument vector exec'd in the container; a string label is run as `sh -c` (Watchtower's form). */
  command: string[];
  timeoutMs: number;
  label: string;
}

/** Watchtower's default hook timeout is one minute. */
export const DEFAULT_HOOK_TIMEOUT_MS = 60_000;

function hookTimeout(labels: Labels, label: string): number {
  const raw = labels[label] ?? labels[LABELS.hookTimeout];
  if (raw === undefined) return DEFAULT_HOOK_TIMEOUT_MS;
  // Watchtower's timeout labels count minutes; ours accepts a unit (30s, 2m).
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(raw);
  if (!match?.[1]) throw new ConfigError(`label ${label}: '${raw}' is not a duration (e.g. 30s, 2m)`);
  const amount = Number(match[1]);
  const unit = match[2] ?? (label.startsWith('com.centurylinklabs') ? 'm' : 's');
  return amount * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000);
}

/**
 * A hook label holds either a JSON array (an argument vector, run as is) or a command line, which — like
 * Watchtower — runs through `sh -c` inside the container, since that is the label's documented meaning.
 */
function hookCommand(value: string, label: string): string[] {
  const trimmed = value.trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new ConfigError(`label ${label}: not a JSON array of strings`);
    }
    if (
      !Array.isArray(parsed) ||
      parsed.length === 0 ||
      !parsed.every((p): p is string => typeof p === 'string')
    ) {
      throw new ConfigError(`label ${label}: not a JSON array of strings`);
    }
    return parsed;
  }
  return ['sh', '-c', trimmed];
}

export function lifecycleHook(
  labels: Labels,
  phase: 'pre-update' | 'post-update',
): LifecycleHook | undefined {
  const [ours, theirs, theirsTimeout] =
    phase === 'pre-update'
      ? [LABELS.preUpdate, LABELS.watchtowerPreUpdate, LABELS.watchtowerPreUpdateTimeout]
      : [LABELS.postUpdate, LABELS.watchtowerPostUpdate, LABELS.watchtowerPostUpdateTimeout];
  const label = labels[ours]?.trim() ? ours : labels[theirs]?.trim() ? theirs : undefined;
  if (!label) return undefined;
  const value = labels[label] ?? '';
  const timeoutLabel = label === theirs ? theirsTimeout : LABELS.hookTimeout;
  return { command: hookCommand(value, label), timeoutMs: hookTimeout(labels, timeoutLabel), label };
}
