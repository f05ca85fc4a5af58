/**
 * Version lookup against the real local registries (anonymous, basic auth, bearer token), the HTTP chart
 * repositories (anonymous, basic) and OCI charts, as `bash env/up.sh` publishes them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ExternalHostError } from '../../src/core/errors.js';
import { createDatasources, type DatasourceDeps } from '../../src/datasources/index.js';
import type { RegistrySettings } from '../../src/datasources/oci-registry/credentials.js';
import { loadEnvironment, type Environment } from '../support/env.js';

let env: Environment;
const quick: DatasourceDeps['http'] = { retries: 1, baseDelayMs: 20, maxDelayMs: 100, timeoutMs: 20_000 };

function datasources(registries: RegistrySettings[] = []) {
  return createDatasources({ registries, dockerConfigPaths: [], http: quick });
}

function image(host: string): { type: 'oci-image'; image: string } {
  return { type: 'oci-image', image: `${host}/${env.fixtures.imageRepository}` };
}

beforeAll(() => {
  env = loadEnvironment();
});

describe('OCI registries', () => {
  it('lists every published tag from the anonymous registry', async () => {
    const list = await datasources()['oci-image'].getReleases(image(env.registries.anonymous.host));
    expect(list?.releases.map((r) => r.version).sort()).toEqual([...env.fixtures.imageTags].sort());
  });

  it('reads the digest latest points to now, by HEAD', async () => {
    const ds = datasources()['oci-image'];
    const digest = await ds.getDigest?.(image(env.registries.anonymous.host), 'latest');
    expect(digest).toBe(env.fixtures.latestDigests[env.fixtures.latestDigests.length - 1]);
    expect(digest).not.toBe(env.fixtures.latestDigests[0]);
  });

  it('answers undefined for a missing repository and a missing tag', async () => {
    const ds = datasources()['oci-image'];
    const missing = {
      type: 'oci-image' as const,
      image: `${env.registries.anonymous.host}/no/such-repo-${Date.now()}`,
    };
    expect(await ds.getReleases(missing)).toBeUndefined();
    expect(await ds.getDigest?.(image(env.registries.anonymous.host), 'no-such-tag')).toBeUndefined();
  });

  it('reads the image created time for minimum-age policies', async () => {
    const at = await datasources()['oci-image'].getReleasedAt?.(
      image(env.registries.anonymous.host),
      '1.0.0',
    );
    expect(at).toBeInstanceOf(Date);
    expect(at?.getTime()).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it('uses basic credentials, and says so clearly when they are missing or wrong', async () => {
    const { host, username, password } = env.registries.basic;
    const list = await datasources([{ host, username, password }])['oci-image'].getReleases(image(host));
    expect(list?.releases.map((r) => r.version)).toEqual(expect.arrayContaining(env.fixtures.imageTags));

    const anonymous = datasources()['oci-image'].getReleases(image(host));
    await expect(anonymous).rejects.toBeInstanceOf(ExternalHostError);
    await expect(anonymous).rejects.toThrow(/refused access to demo\/app \(401/);
    const wrong = datasources([{ host, username, password: `${password}-wrong` }])['oci-image'].getReleases(
      image(host),
    );
    await expect(wrong).rejects.toThrow(/refused access/);
    await wrong.catch((error: ExternalHostError) => expect(error.transient).toBe(false));
  });

  it('fetches a bearer token from the realm with scope repository:NAME:pull', async () => {
    const { host, username, password } = env.registries.token;
    const ds = datasources([{ host, username, password }])['oci-image'];
    const list = await ds.getReleases(image(host));
    expect(list?.releases.map((r) => r.version)).toEqual(expect.arrayContaining(env.fixtures.imageTags));
    expect(await ds.getDigest?.(image(host), '1.0.0')).toMatch(/^sha256:[0-9a-f]{64}$/);

    const wrong = datasources([{ host, username, password: `${password}-wrong` }])['oci-image'].getReleases(
      image(host),
    );
    await expect(wrong).rejects.toThrow(/refused access/);
  });

  it('takes credentials from a docker config.json', async () => {
    const { host, username, password } = env.registries.basic;
    const ds = createDatasources({
      registries: [],
      dockerConfigs: [
        { auths: { [host]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } } },
      ],
      http: quick,
    });
    expect((await ds['oci-image'].getReleases(image(host)))?.releases.length).toBe(
      env.fixtures.imageTags.length,
    );
  });
});

describe('charts', () => {
  const chartVersions = (): string[] => Object.keys(env.fixtures.chartVersions).sort();

  it('reads chart versions and created times from the HTTP chart repository', async () => {
    const list = await datasources()['helm-repo'].getReleases({
      type: 'helm-repo',
      repoUrl: env.chartRepos.anonymous,
      chart: env.fixtures.chart,
    });
    expect(list?.releases.map((r) => r.version).sort()).toEqual(chartVersions());
    expect(list?.releases.every((r) => r.releasedAt instanceof Date)).toBe(true);
  });

  it('authenticates to the basic-auth chart repository', async () => {
    const { url, username, password } = env.chartRepos.basic;
    const source = { type: 'helm-repo' as const, repoUrl: url, chart: env.fixtures.chart };
    const list = await datasources([{ host: new URL(url).host, username, password }])[
      'helm-repo'
    ].getReleases(source);
    expect(list?.releases.map((r) => r.version).sort()).toEqual(chartVersions());
    await expect(datasources()['helm-repo'].getReleases(source)).rejects.toThrow(/refused access \(401\)/);
  });

  it('answers undefined for a chart the repository does not have', async () => {
    const list = await datasources()['helm-repo'].getReleases({
      type: 'helm-repo',
      repoUrl: env.chartRepos.anonymous,
      chart: 'no-such-chart',
    });
    expect(list).toBeUndefined();
  });

  it('lists OCI chart versions', async () => {
    const ref = `${env.ociCharts}/${env.fixtures.chart}`;
    const list = await datasources()['oci-chart'].getReleases({
      type: 'oci-chart',
      ref,
      chart: env.fixtures.chart,
    });
    expect(list?.releases.map((r) => r.version).sort()).toEqual(chartVersions());
  });
});
