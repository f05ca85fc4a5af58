/**
 * A corpus of real-world tag shapes (Docker Hub, GHCR, Quay, chart repositories): how each reads, how
 * families order, which moves are proposed and what a `minor` policy (Keel's) makes of them.
 */
import { describe, expect, it } from 'vitest';
import type { UpdateType } from '../core/model.js';
import { newerVersions } from './candidates.js';
import { parseTag, type TagKind } from './tag.js';

/** [tag, kind, family-mates it must share a family with (optional)] */
const SHAPES: [string, TagKind][] = [
  ['1.2.3', 'semver'],
  ['v1.2.3', 'semver'],
  ['V1.2.3', 'semver'],
  ['0.0.1', 'semver'],
  ['10.20.30', 'semver'],
  ['1.0.0-rc.1', 'semver'],
  ['1.0.0-rc1', 'semver'],
  ['1.0.0-alpha', 'semver'],
  ['1.0.0-alpha.1', 'semver'],
  ['1.0.0-beta.2', 'semver'],
  ['1.0.0-beta', 'semver'],
  ['2.0.0-rc.1', 'semver'],
  ['v2.0.0-rc.1', 'semver'],
  ['1.0.0-pre.3', 'semver'],
  ['1.0.0-preview.1', 'semver'],
  ['1.0.0-canary.20', 'semver'],
  ['1.0.0-snapshot', 'semver'],
  ['1.0.0-dev.5', 'semver'],
  ['1.0.0-nightly', 'semver'],
  ['1.0.0+build.5', 'semver'],
  ['1.0.0_build.5', 'semver'],
  ['1.2.0-alpine', 'semver'],
  ['1.1.0-alpine', 'semver'],
  ['1.25.3-alpine3.19', 'semver'],
  ['1.25.3-alpine3.20', 'semver'],
  ['3.12.1-slim-bookworm', 'semver'],
  ['3.12.1-bookworm', 'semver'],
  ['3.12.1-slim', 'semver'],
  ['20.11.1-bullseye-slim', 'semver'],
  ['8.0.36-debian', 'semver'],
  ['1.2.0-crashloop', 'semver'],
  ['1.2.0-unready', 'semver'],
  ['1.2.0-pullerror', 'semver'],
  ['v1.0.20200827-ls30', 'semver'],
  ['v1.0.20200827-ls31', 'semver'],
  ['4.0.1-r0', 'semver'],
  ['2.4.58-1', 'semver'],
  ['17.0.10_7-jdk', 'semver'],
  ['21.0.2_13-jre-alpine', 'semver'],
  ['3.9.6-eclipse-temurin-17', 'semver'],
  ['1.21.6-alpine3.19', 'semver'],
  ['6.2.14-alpine', 'semver'],
  ['7.2.4-bookworm', 'semver'],
  ['16.2.0-ce.0', 'semver'],
  ['9.5.0-windowsservercore-ltsc2022', 'semver'],
  ['1.2', 'loose'],
  ['1.25', 'loose'],
  ['17.11', 'loose'],
  ['17.11-alpine', 'loose'],
  ['1.25-alpine', 'loose'],
  ['16-alpine', 'loose'],
  ['20', 'loose'],
  ['20-slim', 'loose'],
  ['3.19', 'loose'],
  ['24.04', 'loose'],
  ['22.04', 'loose'],
  ['8', 'loose'],
  ['8-jdk', 'loose'],
  ['3.9', 'loose'],
  ['3.12-slim', 'loose'],
  ['v1.2', 'loose'],
  ['v2', 'loose'],
  ['1.2.3.4', 'loose'],
  ['7.0.0.100', 'loose'],
  ['1.0.0.0-beta', 'loose'],
  ['release-1.2.3', 'loose'],
  ['nginx-1.25.3', 'loose'],
  ['app_1.2', 'loose'],
  ['3.9b1', 'loose'],
  ['2.7-m3', 'loose'],
  ['11-ea', 'loose'],
  ['5.0-rc1', 'loose'],
  ['2024.01.15', 'calver'],
  ['2026.01.15', 'calver'],
  ['2026.02.01', 'calver'],
  ['2024.1.5', 'calver'],
  ['2024.01', 'calver'],
  ['2023.12', 'calver'],
  ['2024.01.15-alpine', 'calver'],
  ['2024-01-15', 'calver'],
  ['2024-01-15-1', 'calver'],
  ['RELEASE.2024-01-15T00-00-00Z', 'calver'],
  ['RELEASE.2023-12-23T07-19-11Z', 'calver'],
  ['RELEASE.2024-01-15T00-00-00Z.fips', 'calver'],
  ['20240115', 'calver'],
  ['20231231', 'calver'],
  ['202401151230', 'calver'],
  ['2024.3.1', 'calver'],
  ['24.1.0', 'semver'],
  ['latest', 'mutable'],
  ['LATEST', 'mutable'],
  ['stable', 'mutable'],
  ['edge', 'mutable'],
  ['dev', 'mutable'],
  ['develop', 'mutable'],
  ['main', 'mutable'],
  ['master', 'mutable'],
  ['nightly', 'mutable'],
  ['canary', 'mutable'],
  ['next', 'mutable'],
  ['lts', 'mutable'],
  ['mainline', 'mutable'],
  ['rolling', 'mutable'],
  ['unstable', 'mutable'],
  ['testing', 'mutable'],
  ['beta', 'mutable'],
  ['alpha', 'mutable'],
  ['rc', 'mutable'],
  ['preview', 'mutable'],
  ['insiders', 'mutable'],
  ['current', 'mutable'],
  ['release', 'mutable'],
  ['production', 'mutable'],
  ['staging', 'mutable'],
  ['head', 'mutable'],
  ['trunk', 'mutable'],
  ['prod', 'mutable'],
  ['development', 'mutable'],
  ['a1b2c3d', 'opaque'],
  ['4f3e2d1c0b9a', 'opaque'],
  ['deadbeefcafe1234deadbeefcafe1234deadbeef', 'opaque'],
  ['sha-4f3e2d1', 'opaque'],
  ['sha-a1b2c3d4e5f6', 'opaque'],
  ['git-9fceb02', 'opaque'],
  ['g9fceb02', 'opaque'],
  ['commit-ab12cd34', 'opaque'],
  ['alpine', 'opaque'],
  ['bookworm', 'opaque'],
  ['slim', 'opaque'],
  ['windowsservercore', 'opaque'],
  ['pr-1234', 'loose'],
  ['feature-login', 'opaque'],
  ['my_branch', 'opaque'],
  ['buildcache', 'opaque'],
  ['cache', 'opaque'],
  ['sha256-abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789.sig', 'opaque'],
  ['1.2.3alpine', 'opaque'],
  ['', 'opaque'],
  ['v', 'opaque'],
  ['1..2', 'opaque'],
  ['.1.2', 'opaque'],
  ['1.2.3-', 'opaque'],
  ['99999999999999999999.1.1', 'opaque'],
  ['1.0.0-rc.1-alpine', 'semver'],
  ['2.0.0-beta.1-bookworm', 'semver'],
  ['1.0.0-RC1', 'semver'],
  ['1.0.0-Beta-2', 'semver'],
  ['0.9.0-a1', 'semver'],
  ['0.9.0-b2', 'semver'],
  ['1.10.0', 'semver'],
  ['1.9.0', 'semver'],
  ['v0.1.0', 'semver'],
  ['v10.0.0', 'semver'],
  ['5.7.44', 'semver'],
  ['15.6-bookworm', 'loose'],
  ['3.1.0-jammy', 'semver'],
];

describe('tag shapes', () => {
  it('holds at least 150 real-world shapes', () => {
    expect(new Set(SHAPES.map(([tag]) => tag)).size).toBeGreaterThanOrEqual(150);
  });
  it.each(SHAPES)('%s reads as %s', (tag, kind) => {
    expect(parseTag(tag).kind).toBe(kind);
  });
});

/** Each line ascends within one family; every tag's newer versions are exactly those after it. */
const ORDERINGS: string[][] = [
  [
    '0.0.1',
    '0.1.0',
    '0.9.9',
    '1.0.0',
    '1.0.1',
    '1.1.0',
    '1.2.0',
    '1.9.0',
    '1.10.0',
    '2.0.0',
    '2.1.0',
    '10.0.0',
  ],
  ['v1.0.0', 'v1.1.0', 'v1.10.0', 'v2.0.0'],
  [
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-alpha.2',
    '1.0.0-alpha.10',
    '1.0.0-beta',
    '1.0.0-beta.2',
    '1.0.0-rc.1',
    '1.0.0',
  ],
  ['1.1.0-alpine', '1.2.0-alpine', '1.10.0-alpine'],
  ['1.25.3-alpine3.19', '1.25.3-alpine3.20', '1.25.4-alpine3.19', '1.26.0-alpine3.19'],
  ['17.11-alpine', '17.12-alpine', '18.1-alpine'],
  ['1.2', '1.3', '1.25', '2.0'],
  ['16', '18', '20', '22'],
  ['2023.12.01', '2024.01.15', '2026.01.15', '2026.02.01'],
  ['RELEASE.2023-12-23T07-19-11Z', 'RELEASE.2024-01-15T00-00-00Z', 'RELEASE.2024-01-15T10-00-00Z'],
  ['20231231', '20240115', '20240201'],
  ['v1.0.20200827-ls30', 'v1.0.20200827-ls31', 'v1.0.20200901-ls1'],
  ['2.4.58-1', '2.4.58-2', '2.4.59-1'],
  ['3.12.1-slim-bookworm', '3.12.2-slim-bookworm', '3.13.0-slim-bookworm'],
  ['1.2.3.4', '1.2.3.5', '1.2.4.0'],
];

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = (i * 7919 + 13) % (i + 1);
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

describe('ordering within a family', () => {
  it.each(ORDERINGS.map((line) => [line[0], line] as const))(
    'orders the line starting %s',
    (_first, line) => {
      const releases = shuffled(line).map((version) => ({ version }));
      line.forEach((tag, index) => {
        const newer = newerVersions(tag, releases, { prerelease: true }).map((n) => n.release.version);
        expect(newer).toEqual(line.slice(index + 1).reverse());
      });
    },
  );
});

/** The fixture repository of the local registry, plus noise: what each current tag may move to. */
const REGISTRY = [
  '1.0.0',
  '1.0.1',
  '1.1.0',
  '1.2.0',
  '2.0.0',
  '2.1.0',
  'v1.0.0',
  'v1.1.0',
  '2.0.0-rc.1',
  '2.1.0-rc.1',
  '2.2.0-beta.1',
  '1.1.0-alpine',
  '1.2.0-alpine',
  '2026.01.15',
  '2026.02.01',
  'latest',
  '1.2.0-crashloop',
  '1.2.0-unready',
  '1.2.0-pullerror',
  '1.2',
  '1.3',
  'sha-4f3e2d1a',
].map((version) => ({ version }));

type Expected = UpdateType | '-';
/** [current, candidate, the update type proposed or '-' for never proposed] */
const MOVES: [string, string, Expected][] = [
  ['1.0.0', '1.0.1', 'patch'],
  ['1.0.0', '1.1.0', 'minor'],
  ['1.0.0', '1.2.0', 'minor'],
  ['1.0.0', '2.0.0', 'major'],
  ['1.0.0', '2.1.0', 'major'],
  ['1.0.0', '2.0.0-rc.1', '-'],
  ['1.0.0', '2.2.0-beta.1', '-'],
  ['1.0.0', 'v1.1.0', '-'],
  ['1.0.0', '1.2.0-alpine', '-'],
  ['1.0.0', '1.2.0-crashloop', '-'],
  ['1.0.0', '2026.01.15', '-'],
  ['1.0.0', 'latest', '-'],
  ['1.0.0', '1.2', '-'],
  ['1.0.0', 'sha-4f3e2d1a', '-'],
  ['1.2.0', '1.0.1', '-'],
  ['1.2.0', '1.1.0', '-'],
  ['1.2.0', '2.0.0', 'major'],
  ['2.1.0', '2.0.0', '-'],
  ['2.1.0', '1.2.0', '-'],
  ['2.0.0-rc.1', '2.1.0-rc.1', 'minor'],
  ['2.0.0-rc.1', '2.0.0', 'prerelease'],
  ['2.0.0-rc.1', '2.1.0', 'minor'],
  ['2.0.0-rc.1', '2.2.0-beta.1', '-'],
  ['1.1.0-alpine', '1.2.0-alpine', 'minor'],
  ['1.1.0-alpine', '1.2.0', '-'],
  ['1.1.0-alpine', '2.1.0', '-'],
  ['1.2.0-crashloop', '1.2.0', '-'],
  ['1.2.0-crashloop', '2.0.0', '-'],
  ['v1.0.0', 'v1.1.0', 'minor'],
  ['v1.0.0', '1.1.0', '-'],
  ['v1.0.0', '2.0.0', '-'],
  ['2026.01.15', '2026.02.01', 'minor'],
  ['2026.02.01', '2026.01.15', '-'],
  ['2026.01.15', '1.2.0', '-'],
  ['1.2', '1.3', 'minor'],
  ['1.2', '1.2.0', '-'],
  ['latest', '2.1.0', '-'],
  ['latest', '1.0.0', '-'],
  ['sha-4f3e2d1a', '2.1.0', '-'],
];

/** Keel's `minor` policy: minor and patch (and pre-release steps) go automatically, majors do not. */
function minorPolicyOutcome(type: Expected): string {
  if (type === '-') return 'no update';
  return type === 'major' ? 'blocked' : 'auto';
}

describe('moves proposed from the fixture registry', () => {
  it.each(MOVES)('%s → %s is %s', (current, candidate, expected) => {
    const proposed = newerVersions(current, REGISTRY).find((n) => n.release.version === candidate);
    const type: Expected = proposed?.updateType ?? '-';
    expect(type).toBe(expected);
    expect(minorPolicyOutcome(type)).toBe(minorPolicyOutcome(expected));
  });
});
