/**
 * What annotations and labels say about an asset's policy, in Keel's words and ours:
 *   safe-updater.io/policy (or keel.sh/policy): a policy name, or Keel's `glob:PATTERN` / `regexp:PATTERN`
 *     (every newer tag matching the pattern);
 *   safe-updater.io/match-tag: a regex a target tag must match; a named group `version` in it is the part
 *     that orders tags (Keel's `keel.sh/match-tag` is a boolean meaning "same tag, new digest", which digest
 *     tracking already does);
 *   safe-updater.io/priority: security | bugfix | feature.
 */
import type { Asset } from '../core/model.js';
import { ConfigError, errorMessage } from '../core/errors.js';
import { compilePolicy, type CompiledPolicy, type PolicyBook } from './policies.js';

export const POLICY_KEYS = ['safe-updater.io/policy', 'keel.sh/policy'] as const;
export const MATCH_TAG_KEY = 'safe-updater.io/match-tag';
export const PRIORITY_KEY = 'safe-updater.io/priority';

const BUGFIX = 2;
const FEATURE = 1;
const PRIORITIES: Record<string, number> = { security: 3, bugfix: BUGFIX, feature: FEATURE };

function annotation(asset: Asset, key: string): string | undefined {
  return asset.annotations[key] ?? asset.labels[key];
}

function globToRegex(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
}

function patternPolicy(kind: 'glob' | 'regexp', pattern: string, where: string): CompiledPolicy {
  let include: RegExp;
  try {
    include = kind === 'glob' ? globToRegex(pattern) : new RegExp(pattern);
  } catch (error) {
    throw new ConfigError(`${where}: '${pattern}' is not a valid ${kind}: ${errorMessage(error)}`);
  }
  const policy = compilePolicy(`${kind}:${pattern}`, {
    allow: ['major', 'minor', 'patch', 'prerelease', 'digest'],
    prerelease: true,
  });
  return { ...policy, filter: { ...policy.filter, include: [include] } };
}

/**
 * The policy governing an asset: its own policy name (set by the source from config or annotation), else
 * its annotation, else the default. Errors name the asset and the annotation.
 */
export function policyForAsset(asset: Asset, book: PolicyBook): CompiledPolicy {
  const key = POLICY_KEYS.find((k) => annotation(asset, k) !== undefined);
  const fromAnnotation = key ? annotation(asset, key)?.trim() : undefined;
  const name = asset.policy.trim() || fromAnnotation || book.defaultPolicy;
  const where = name === fromAnnotation && key ? `asset ${asset.id}: annotation ${key}` : `asset ${asset.id}`;
  const pattern = /^(glob|regexp):(.+)$/.exec(name);
  let policy = pattern
    ? patternPolicy(pattern[1] as 'glob' | 'regexp', pattern[2] ?? '', where)
    : book.get(book.has(name) ? name : name.toLowerCase(), where);
  const matchTag = annotation(asset, MATCH_TAG_KEY);
  if (matchTag !== undefined && matchTag !== 'true' && matchTag !== 'false') {
    let include: RegExp;
    try {
      include = new RegExp(matchTag);
    } catch (error) {
      throw new ConfigError(
        `asset ${asset.id}: annotation ${MATCH_TAG_KEY}: '${matchTag}' is not a valid regular expression: ${errorMessage(error)}`,
      );
    }
    // A named group `version` says which part of the tag is the version (Flux's filterTags.extract):
    // `^main-(?<version>\d+)-[0-9a-f]+$` orders main-20240115-3f2a1bc by its date.
    const extract = /\(\?<version>/.test(matchTag) ? { extract: include } : {};
    policy = {
      ...policy,
      filter: { ...policy.filter, ...extract, include: [...(policy.filter.include ?? []), include] },
    };
  }
  return policy;
}

/** Priority from the annotation (security > bugfix > feature); patches count as bug fixes by default. */
export function priorityOf(asset: Asset, updateType: string): number {
  const value = annotation(asset, PRIORITY_KEY);
  if (value !== undefined) {
    const priority = PRIORITIES[value.trim().toLowerCase()];
    if (priority === undefined) {
      throw new ConfigError(
        `asset ${asset.id}: annotation ${PRIORITY_KEY}: '${value}' is not one of security, bugfix, feature`,
      );
    }
    return priority;
  }
  return updateType === 'patch' || updateType === 'digest' ? BUGFIX : FEATURE;
}
