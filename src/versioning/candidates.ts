/**
 * From "what runs" and "what exists" to the newer versions an asset could move to: same family only,
 * never a downgrade, pre-releases only within the running pre-release line unless allowed (Keel's rule),
 * optional include/exclude patterns and a Flux-style `extract` group that says which part of a tag is the
 * version.
 */
import semver from 'semver';
import type { UpdateType } from '../core/model.js';
import { ConfigError } from '../core/errors.js';
import { compareTags, isComparable, parseTag, prereleaseLine, type ParsedTag } from './tag.js';

export interface TagFilter {
  /** A tag must match at least one (when any are given). */
  include?: RegExp[];
  exclude?: RegExp[];
  /** Regex whose named group `version` (or first group) is the version part of a tag (Flux `filterTags.extract`). */
  extract?: RegExp;
  /** Allow moving from a release to a pre-release, or across pre-release lines. */
  prerelease?: boolean;
}

export interface NewerVersion<R extends { version: string }> {
  release: R;
  parsed: ParsedTag;
  updateType: UpdateType;
}

/** Parses a tag, through the extract pattern when there is one; undefined when the pattern does not match. */
export function parseVersion(tag: string, extract?: RegExp): ParsedTag | undefined {
  if (!extract) return parseTag(tag);
  const match = extract.exec(tag);
  if (!match) return undefined;
  const named = match.groups
    ? (match.groups.version ?? Object.values(match.groups).find((v) => v !== undefined))
    : undefined;
  const value = named ?? match[1] ?? match[0];
  return { ...parseTag(value), raw: tag };
}

/** The kind of change between two versions of one family, by the first number that differs. */
export function classifyUpdate(from: ParsedTag, to: ParsedTag): UpdateType {
  const length = Math.max(from.numbers.length, to.numbers.length);
  for (let i = 0; i < length; i++) {
    if ((from.numbers[i] ?? 0) !== (to.numbers[i] ?? 0)) {
      // A compact date (20240115) is one number; its changes are routine releases, not breaking ones.
      if (length === 1 && from.kind === 'calver') return 'minor';
      return i === 0 ? 'major' : i === 1 ? 'minor' : 'patch';
    }
  }
  if (from.prerelease.length > 0 || to.prerelease.length > 0) return 'prerelease';
  return 'patch';
}

function prereleaseAllowed(current: ParsedTag, candidate: ParsedTag, allow: boolean): boolean {
  if (candidate.prerelease.length === 0 || allow) return true;
  const line = prereleaseLine(current);
  return line !== undefined && line === prereleaseLine(candidate);
}

function passesPatterns(tag: string, filter: TagFilter): boolean {
  if (filter.include && filter.include.length > 0 && !filter.include.some((re) => re.test(tag))) return false;
  return !(filter.exclude ?? []).some((re) => re.test(tag));
}

/**
 * Newer versions than `current` among `releases`, newest first. Empty when the current tag is not a
 * version (use digest tracking for those) or nothing newer exists in its family.
 */
export function newerVersions<R extends { version: string }>(
  currentTag: string,
  releases: readonly R[],
  filter: TagFilter = {},
): NewerVersion<R>[] {
  const current = parseVersion(currentTag, filter.extract);
  if (!current || !isComparable(current)) return [];
  const result: NewerVersion<R>[] = [];
  for (const release of releases) {
    if (release.version === currentTag || !passesPatterns(release.version, filter)) continue;
    const parsed = parseVersion(release.version, filter.extract);
    if (!parsed || !isComparable(parsed) || parsed.family !== current.family) continue;
    if (compareTags(parsed, current) <= 0) continue;
    if (!prereleaseAllowed(current, parsed, filter.prerelease ?? false)) continue;
    result.push({ release, parsed, updateType: classifyUpdate(current, parsed) });
  }
  return result.sort((a, b) => compareTags(b.parsed, a.parsed));
}

/** The semver form of a parsed tag, for range checks: 1.25 → 1.25.0, v2.0.0-rc.1 → 2.0.0-rc.1. */
export function toSemver(tag: ParsedTag): string | undefined {
  if (!isComparable(tag) || tag.kind === 'calver') return undefined;
  const [major = 0, minor = 0, patch = 0] = tag.numbers;
  const pre = tag.prerelease.length > 0 ? `-${tag.prerelease.join('.')}` : '';
  return semver.valid(`${major}.${minor}.${patch}${pre}`) ?? undefined;
}

/** Compiles a pin (a semver range such as `1.x`, `~1.2`, `>=1.0 <2`); ConfigError when it is not one. */
export function compilePin(range: string, where: string): (tag: ParsedTag) => boolean {
  const valid = semver.validRange(range);
  if (valid === null) {
    throw new ConfigError(`${where}: pin '${range}' is not a semver range`, {
      hint: "write a range such as '1.x', '~1.2', '>=1.0.0 <2.0.0'",
    });
  }
  return (tag) => {
    const version = toSemver(tag);
    return version !== undefined && semver.satisfies(version, valid, { includePrerelease: true });
  };
}
