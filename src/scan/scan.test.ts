import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { ExternalHostError } from '../core/errors.js';
import type { Asset, VersionSource } from '../core/model.js';
import type { DatasourceMap } from '../datasources/index.js';
import type { Datasource, Release } from '../datasources/types.js';
import { PolicyBook } from '../policy/policies.js';
import type { Source } from '../sources/types.js';
import type { AssetRow, FailedVersion } from '../state/types.js';
import { evaluateAsset, type EvaluationDeps } from './evaluate.js';
import { runScan, scanExitCode } from './scan.js';

const TAGS = [
  '1.0.0',
  '1.0.1',
  '1.1.0',
  '1.2.0',
  '2.0.0',
  '2.1.0',
  '2.0.0-rc.1',
  '1.2.0-crashloop',
  'latest',
];
const DIGESTS: Record<string, string> = { latest: 'sha256:new', '1.2.0': 'sha256:120' };

function fakeDatasource(
  type: VersionSource['type'],
  releases: Release[] | Error | undefined,
): Datasource & { lookups: number } {
  const ds = {
    type,
    lookups: 0,
    getReleases() {
      ds.lookups++;
      if (releases instanceof Error) return Promise.reject(releases);
      return Promise.resolve(releases ? { releases } : undefined);
    },
    getDigest(_source: VersionSource, version: string) {
      return Promise.resolve(DIGESTS[version]);
    },
  };
  return ds;
}

function datasources(
  images: Release[] | Error | 'missing' = TAGS.map((version) => ({ version })),
): DatasourceMap {
  return {
    'oci-image': fakeDatasource('oci-image', images === 'missing' ? undefined : images),
    'helm-repo': fakeDatasource('helm-repo', [{ version: '1.0.0' }, { version: '1.1.0' }]),
    'oci-chart': fakeDatasource('oci-chart', []),
  };
}

function asset(version: string, overrides: Partial<Asset> = {}): Asset {
  return {
    id: `k8s/default/deployment/web-${version}/container/app`,
    kind: 'kubernetes',
    name: 'web',
    namespace: 'default',
    current: { version },
    source: { type: 'oci-image', image: '127.0.0.1:5001/demo/app' },
    labels: {},
    annotations: {},
    policy: '',
    healthChecks: [],
    ...overrides,
  };
}

function deps(overrides: Partial<Omit<EvaluationDeps, 'journal'>> = {}): Omit<EvaluationDeps, 'journal'> {
  return {
    datasources: datasources(),
    policies: new PolicyBook({ careful: { allow: ['minor', 'patch'], approve: ['major'] } }, 'minor'),
    clock: new ManualClock(),
    ...overrides,
  };
}

describe('evaluateAsset', () => {
  it('picks the newest update its policy allows and names the newest available', async () => {
    const result = await evaluateAsset(asset('1.0.0'), deps());
    expect(result.status).toBe('update-available');
    expect(result.decision?.candidate.target.version).toBe('1.2.0');
    expect(result.decision?.verdict).toBe('auto');
    expect(result.newestAvailable?.target.version).toBe('2.1.0');
    expect(result.decision?.reasons.join(' ')).toContain('newest is 2.1.0 (blocked');
  });

  it('proposes a major update for approval under a policy that asks for it', async () => {
    const result = await evaluateAsset(asset('2.0.0', { policy: 'careful' }), deps());
    expect(result.decision?.candidate.target.version).toBe('2.1.0');
    const major = await evaluateAsset(asset('1.2.0', { policy: 'careful' }), deps());
    expect(major.decision?.verdict).toBe('needs-approval');
    expect(major.decision?.candidate.updateType).toBe('major');
  });

  it('says up to date only when the lookup worked and nothing is newer', async () => {
    expect((await evaluateAsset(asset('2.1.0'), deps())).status).toBe('up-to-date');
    const failed = await evaluateAsset(
      asset('2.1.0'),
      deps({ datasources: datasources(new ExternalHostError('r', 'r is down')) }),
    );
    expect(failed.status).toBe('lookup-failed');
    expect(failed.problem).toBe('r is down');
    expect((await evaluateAsset(asset('2.1.0'), deps({ datasources: datasources('missing') }))).status).toBe(
      'not-found',
    );
  });

  it('tracks the digest of a moving tag', async () => {
    const moved = await evaluateAsset(
      asset('latest', { current: { version: 'latest', digest: 'sha256:old' } }),
      deps(),
    );
    expect(moved.decision?.candidate).toMatchObject({
      updateType: 'digest',
      target: { version: 'latest', digest: 'sha256:new' },
    });
    const same = await evaluateAsset(
      asset('latest', { current: { version: 'latest', digest: 'sha256:new' } }),
      deps(),
    );
    expect(same.status).toBe('up-to-date');
    expect((await evaluateAsset(asset('latest'), deps())).status).toBe('unversioned');
  });

  it('judges an explicit target: family note, downgrade blocked, missing version not found', async () => {
    const crash = await evaluateAsset(asset('1.0.0'), deps(), { targetVersion: '1.2.0-crashloop' });
    expect(crash.decision?.verdict).toBe('auto');
    expect(crash.decision?.reasons.join(' ')).toContain('another tag family');
    const down = await evaluateAsset(asset('2.0.0'), deps(), { targetVersion: '1.0.0' });
    expect(down.decision?.verdict).toBe('blocked');
    expect(down.decision?.reasons.join(' ')).toContain('downgrade');
    const pinned = await evaluateAsset(asset('1.0.0'), deps(), { targetVersion: '1.2.0' });
    expect(pinned.decision?.candidate.target.digest).toBe('sha256:120');
    expect((await evaluateAsset(asset('1.0.0'), deps(), { targetVersion: '9.9.9' })).status).toBe(
      'not-found',
    );
  });

  it('blocks what the journal remembers as failed, and paused assets', async () => {
    const failed: FailedVersion = {
      assetId: 'x',
      version: '1.2.0',
      digest: null,
      reason: 'crashloop',
      at: new Date(),
    };
    const row = { paused: true, pausedReason: 'loop' } as AssetRow;
    const journal = { getAsset: () => Promise.resolve(row), failedVersions: () => Promise.resolve([failed]) };
    const result = await evaluateAsset(asset('1.0.0'), { ...deps(), journal });
    expect(result.decision?.verdict).toBe('blocked');
    expect(result.decision?.reasons.join(' ')).toMatch(/paused: loop/);
  });

  it('reports a missing source and an invalid policy as such', async () => {
    const { source: _source, ...rest } = asset('1.0.0');
    expect((await evaluateAsset(rest, deps())).status).toBe('no-source');
    const bad = await evaluateAsset(
      asset('1.0.0', { annotations: { 'safe-updater.io/policy': 'sometimes' } }),
      deps(),
    );
    expect(bad.status).toBe('invalid-policy');
    expect(bad.problem).toMatch(/unknown policy 'sometimes'/);
  });
});

describe('runScan', () => {
  const source = (assets: Asset[]): Source => ({
    kind: 'kubernetes',
    discover: () => Promise.resolve({ assets, problems: [] }),
  });

  it('looks up a repository shared by many assets once per lookup and exits 0', async () => {
    const ds = datasources();
    const assets = Array.from({ length: 20 }, (_, i) =>
      asset('1.0.0', { id: `k8s/ns/deployment/w${i}/container/app` }),
    );
    const report = await runScan({ ...deps({ datasources: ds }), sources: [source(assets)], concurrency: 4 });
    expect(report.assets).toHaveLength(20);
    expect(report.assets.every((a) => a.decision?.candidate.target.version === '1.2.0')).toBe(true);
    expect(scanExitCode(report)).toBe(0);
  });

  it('lists an unreachable source and exits 5', async () => {
    const broken: Source = {
      kind: 'docker',
      discover: () => Promise.reject(new Error('connect ENOENT /var/run/docker.sock')),
    };
    const report = await runScan({ ...deps(), sources: [source([asset('1.0.0')]), broken] });
    expect(report.problems).toEqual([
      { subject: 'docker source', message: 'connect ENOENT /var/run/docker.sock', unavailable: true },
    ]);
    expect(report.assets).toHaveLength(1);
    expect(scanExitCode(report)).toBe(5);
  });

  it('exits 5 when a lookup failed', async () => {
    const report = await runScan({
      ...deps({ datasources: datasources(new ExternalHostError('r', 'down')) }),
      sources: [source([asset('1.0.0')])],
    });
    expect(scanExitCode(report)).toBe(5);
  });
});
