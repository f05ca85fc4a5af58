import { describe, expect, it } from 'vitest';
import type { Asset, Candidate, UpdateType } from '../core/model.js';
import { ConfigError } from '../core/errors.js';
import { newerVersions } from '../versioning/candidates.js';
import { parseTag } from '../versioning/tag.js';
import { policyForAsset, priorityOf } from './annotations.js';
import { decide, type AssetState } from './decide.js';
import { PolicyBook, type PolicySpec } from './policies.js';

const NOW = new Date('2026-03-10T03:30:00Z');

function asset(overrides: Partial<Asset> = {}): Asset {
  return {
    id: 'k8s/default/deployment/web/container/app',
    kind: 'kubernetes',
    name: 'web',
    namespace: 'default',
    current: { version: '1.0.0' },
    source: { type: 'oci-image', image: '127.0.0.1:5001/demo/app' },
    labels: {},
    annotations: {},
    policy: '',
    healthChecks: [],
    ...overrides,
  };
}

function candidate(version: string, updateType: UpdateType, releasedAt?: Date): Candidate {
  return {
    assetId: 'a',
    current: { version: '1.0.0' },
    target: { version },
    updateType,
    ...(releasedAt ? { releasedAt } : {}),
    priority: 1,
  };
}

const CONFIGURED: Record<string, PolicySpec> = {
  careful: { allow: ['patch', 'minor'], approve: ['major'] },
  pinned: { allow: ['major', 'minor', 'patch'], pin: '1.x' },
  aged: { allow: ['minor', 'patch'], minAge: '24h' },
  nightly: { allow: ['minor', 'patch'], windows: [{ cron: '* 2-4 * * *', timezone: 'Europe/Berlin' }] },
};
const book = new PolicyBook(CONFIGURED, 'minor');
const free: AssetState = { paused: false, pausedReason: null, failedVersions: [] };

function verdict(policy: string, c: Candidate, state: AssetState = free, a: Asset = asset()): string {
  return decide({
    asset: a,
    candidate: c,
    parsed: parseTag(c.target.version),
    policy: book.get(policy, 'test'),
    state,
    now: NOW,
  }).verdict;
}

describe('built-in policies (Keel names)', () => {
  it.each([
    ['all', 'major', 'auto'],
    ['all', 'digest', 'auto'],
    ['major', 'major', 'auto'],
    ['major', 'minor', 'auto'],
    ['minor', 'major', 'blocked'],
    ['minor', 'minor', 'auto'],
    ['minor', 'patch', 'auto'],
    ['minor', 'digest', 'auto'],
    ['patch', 'minor', 'blocked'],
    ['patch', 'patch', 'auto'],
    ['patch', 'prerelease', 'auto'],
    ['none', 'patch', 'blocked'],
    ['never', 'digest', 'blocked'],
    ['force', 'major', 'auto'],
    ['careful', 'major', 'needs-approval'],
    ['careful', 'minor', 'auto'],
    ['careful', 'digest', 'blocked'],
  ] as const)('%s with a %s update → %s', (policy, type, expected) => {
    expect(verdict(policy, candidate(type === 'major' ? '2.0.0' : '1.1.0', type))).toBe(expected);
  });
});

describe('gates', () => {
  it('blocks a paused asset and says why', () => {
    const d = decide({
      asset: asset(),
      candidate: candidate('1.1.0', 'minor'),
      policy: book.get('minor', 't'),
      state: { paused: true, pausedReason: 'rollback loop', failedVersions: [] },
      now: NOW,
    });
    expect(d.verdict).toBe('blocked');
    expect(d.reasons.join(' ')).toContain('paused: rollback loop');
  });

  it('blocks a monitor-only asset', () => {
    expect(verdict('all', candidate('1.1.0', 'minor'), free, asset({ monitorOnly: true }))).toBe('blocked');
  });

  it('blocks a version that failed before but not a newer one', () => {
    const state: AssetState = {
      ...free,
      failedVersions: [{ assetId: 'a', version: '1.1.0', digest: null, reason: 'CrashLoopBackOff', at: NOW }],
    };
    expect(verdict('minor', candidate('1.1.0', 'minor'), state)).toBe('blocked');
    expect(verdict('minor', candidate('1.1.1', 'minor'), state)).toBe('auto');
  });

  it('keeps a pin', () => {
    expect(verdict('pinned', candidate('1.9.0', 'minor'))).toBe('auto');
    expect(verdict('pinned', candidate('2.0.0', 'major'))).toBe('blocked');
  });

  it('waits for the minimum age, and blocks when the release time is unknown', () => {
    expect(verdict('aged', candidate('1.1.0', 'minor', new Date(NOW.getTime() - 3_600_000)))).toBe('blocked');
    expect(verdict('aged', candidate('1.1.0', 'minor', new Date(NOW.getTime() - 25 * 3_600_000)))).toBe(
      'auto',
    );
    expect(verdict('aged', candidate('1.1.0', 'minor'))).toBe('blocked');
  });

  it('opens update windows in their time zone', () => {
    // 03:30 UTC is 04:30 in Berlin (CET, UTC+1): inside 02:00–04:59.
    expect(verdict('nightly', candidate('1.1.0', 'minor'))).toBe('auto');
    const later = decide({
      asset: asset(),
      candidate: candidate('1.1.0', 'minor'),
      policy: book.get('nightly', 't'),
      state: free,
      now: new Date('2026-03-10T05:00:00Z'),
    });
    expect(later.verdict).toBe('blocked');
    expect(later.reasons.join(' ')).toMatch(/next opens 2026-03-11T01:00:00/);
  });

  it('keeps every reason when several gates refuse', () => {
    const d = decide({
      asset: asset({ monitorOnly: true }),
      candidate: candidate('2.0.0', 'major'),
      parsed: parseTag('2.0.0'),
      policy: book.get('pinned', 't'),
      state: { paused: true, pausedReason: null, failedVersions: [] },
      now: NOW,
    });
    expect(d.reasons).toHaveLength(4);
  });
});

describe('policy names and annotations', () => {
  it('reads the policy annotation, and Keel’s', () => {
    expect(policyForAsset(asset({ annotations: { 'safe-updater.io/policy': 'patch' } }), book).name).toBe(
      'patch',
    );
    expect(policyForAsset(asset({ annotations: { 'keel.sh/policy': 'major' } }), book).name).toBe('major');
    expect(policyForAsset(asset(), book).name).toBe('minor');
    expect(
      policyForAsset(asset({ policy: 'careful', annotations: { 'keel.sh/policy': 'all' } }), book).name,
    ).toBe('careful');
  });

  it('names the asset, the annotation and a likely fix for an unknown policy', () => {
    const read = (): unknown =>
      policyForAsset(asset({ annotations: { 'safe-updater.io/policy': 'minr' } }), book);
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/annotation safe-updater.io\/policy: unknown policy 'minr'/);
    try {
      read();
    } catch (error) {
      expect((error as ConfigError).hint).toContain("did you mean 'minor'");
    }
  });

  it('understands Keel glob: and regexp: policies', () => {
    const glob = policyForAsset(asset({ annotations: { 'keel.sh/policy': 'glob:build-*' } }), book);
    expect(glob.filter.include?.[0]?.test('build-42')).toBe(true);
    expect(glob.filter.include?.[0]?.test('release-1')).toBe(false);
    expect(() => policyForAsset(asset({ annotations: { 'keel.sh/policy': 'regexp:(' } }), book)).toThrow(
      ConfigError,
    );
  });

  it('adds a match-tag pattern and refuses a broken one', () => {
    const policy = policyForAsset(asset({ annotations: { 'safe-updater.io/match-tag': '^1\\.' } }), book);
    expect(policy.filter.include?.map(String)).toEqual(['/^1\\./']);
    expect(() => policyForAsset(asset({ annotations: { 'safe-updater.io/match-tag': '[' } }), book)).toThrow(
      /match-tag/,
    );
  });

  it('orders tags by the named version group of match-tag (regex extract)', () => {
    const pattern = '^main-(?<version>\\d+)-[0-9a-f]+$';
    const policy = policyForAsset(asset({ annotations: { 'safe-updater.io/match-tag': pattern } }), book);
    const tags = [
      'main-20240115-3f2a1bc',
      'main-20240201-9c0ffee',
      'main-20231231-aaaaaaa',
      'feature-x-1',
      'latest',
    ];
    const newer = newerVersions(
      'main-20240101-0000000',
      tags.map((version) => ({ version })),
      policy.filter,
    );
    expect(newer.map((n) => n.release.version)).toEqual(['main-20240201-9c0ffee', 'main-20240115-3f2a1bc']);
    expect(newer[0]?.updateType).toBe('minor');
  });

  it('reads priorities, with patches as bug fixes', () => {
    expect(priorityOf(asset({ annotations: { 'safe-updater.io/priority': 'security' } }), 'major')).toBe(3);
    expect(priorityOf(asset(), 'patch')).toBe(2);
    expect(priorityOf(asset(), 'minor')).toBe(1);
    expect(() =>
      priorityOf(asset({ annotations: { 'safe-updater.io/priority': 'urgent' } }), 'minor'),
    ).toThrow(ConfigError);
  });

  it('refuses bad pins, windows and durations when the policy is first used', () => {
    const bad = new PolicyBook(
      {
        p: { allow: [], pin: 'one' },
        w: { allow: [], windows: [{ cron: 'not a cron' }] },
        z: { allow: [], windows: [{ cron: '* * * * *', timezone: 'Mars/Olympus' }] },
        m: { allow: [], minAge: 'soon' },
      },
      'minor',
    );
    for (const name of ['p', 'w', 'z', 'm']) expect(() => bad.get(name, 'test')).toThrow(ConfigError);
  });
});
