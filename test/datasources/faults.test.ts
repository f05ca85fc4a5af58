/**
 * Our fault proxy in front of the real anonymous registry: 429s and 5xx are retried, then reported as an
 * ExternalHostError; resets and slow answers too; a scan shows a failed lookup, never "no update";
 * `Link` pages are followed; 50 concurrent lookups of one repository send one tag listing.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ExternalHostError } from '../../src/core/errors.js';
import { systemClock } from '../../src/core/clock.js';
import type { Asset } from '../../src/core/model.js';
import { createDatasources, type DatasourceDeps } from '../../src/datasources/index.js';
import { PolicyBook } from '../../src/policy/policies.js';
import { evaluateAsset } from '../../src/scan/evaluate.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { loadEnvironment, type Environment } from '../support/env.js';

let env: Environment;
let proxy: FaultProxy | undefined;
const http: DatasourceDeps['http'] = { retries: 3, baseDelayMs: 20, maxDelayMs: 200, timeoutMs: 20_000 };

beforeAll(() => {
  env = loadEnvironment();
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

async function proxied(options: DatasourceDeps['http'] = http) {
  proxy = await startFaultProxy(`http://${env.registries.anonymous.host}`);
  const datasources = createDatasources({ registries: [], dockerConfigPaths: [], http: options });
  const source = { type: 'oci-image' as const, image: `${proxy.host}/${env.fixtures.imageRepository}` };
  return { proxy, datasources, source };
}

const tagRequests = (p: FaultProxy): number => p.requests.filter((r) => r.path.includes('/tags/list')).length;

describe('retries through the fault proxy', () => {
  it('retries 429 (Retry-After) and 503, then answers', async () => {
    const { proxy: p, datasources, source } = await proxied();
    p.inject({ path: /tags\/list/, fault: { status: 429, retryAfter: 0 }, times: 1 });
    p.inject({ path: /tags\/list/, fault: { status: 503 }, times: 1 });
    const list = await datasources['oci-image'].getReleases(source);
    expect(list?.releases.map((r) => r.version).sort()).toEqual([...env.fixtures.imageTags].sort());
    expect(p.requests.filter((r) => r.path.includes('/tags/list')).map((r) => r.outcome)).toEqual([
      'status 429',
      'status 503',
      'forwarded',
    ]);
  });

  it('turns a registry that keeps failing with 500 into an ExternalHostError after the retries', async () => {
    const { proxy: p, datasources, source } = await proxied();
    p.inject({ path: /tags\/list/, fault: { status: 500 } });
    const lookup = datasources['oci-image'].getReleases(source);
    await expect(lookup).rejects.toBeInstanceOf(ExternalHostError);
    await expect(lookup).rejects.toThrow(/500 .*after 4 attempts/);
    expect(tagRequests(p)).toBe(4);
  });

  it('retries connection resets, then fails clearly', async () => {
    const { proxy: p, datasources, source } = await proxied();
    p.inject({ path: /tags\/list/, fault: { reset: true }, times: 2 });
    expect((await datasources['oci-image'].getReleases(source))?.releases.length).toBe(
      env.fixtures.imageTags.length,
    );

    p.inject({ path: /tags\/list/, fault: { reset: true } });
    datasources['oci-image'] = createDatasources({ registries: [], dockerConfigPaths: [], http })[
      'oci-image'
    ];
    await expect(datasources['oci-image'].getReleases(source)).rejects.toThrow(
      /ECONNRESET|socket|other side closed/i,
    );
  });

  it('gives up on an answer slower than the deadline', async () => {
    const { proxy: p, datasources, source } = await proxied({ ...http, retries: 1, timeoutMs: 500 });
    p.inject({ path: /tags\/list/, fault: { delayMs: 30_000 } });
    const lookup = datasources['oci-image'].getReleases(source);
    await expect(lookup).rejects.toThrow(/timed out \(after 2 attempts\)/);
  });

  it('retries a HEAD of a manifest and fails clearly', async () => {
    const { proxy: p, datasources, source } = await proxied();
    p.inject({ path: /manifests\/latest/, method: 'HEAD', fault: { status: 502 } });
    await expect(datasources['oci-image'].getDigest?.(source, 'latest')).rejects.toBeInstanceOf(
      ExternalHostError,
    );
  });

  it('shows a broken registry as a failed lookup in a scan, never as up to date', async () => {
    const { proxy: p, datasources, source } = await proxied({ ...http, retries: 1 });
    p.inject({ path: /tags\/list/, fault: { status: 503 } });
    const asset: Asset = {
      id: 'k8s/default/deployment/web/container/app',
      kind: 'kubernetes',
      name: 'web',
      namespace: 'default',
      current: { version: '1.0.0' },
      source,
      labels: {},
      annotations: {},
      policy: 'minor',
      healthChecks: [],
    };
    const evaluation = await evaluateAsset(asset, {
      datasources,
      policies: new PolicyBook({}, 'minor'),
      clock: systemClock,
    });
    expect(evaluation.status).toBe('lookup-failed');
    expect(evaluation.problem).toMatch(/503/);
    expect(evaluation.decision).toBeUndefined();
  });
});

describe('paging and sharing', () => {
  it('follows Link pages to the end', async () => {
    const { proxy: p, datasources, source } = await proxied();
    p.inject({ path: /tags\/list/, fault: { pageSize: 3 } });
    const list = await datasources['oci-image'].getReleases(source);
    expect(list?.releases.map((r) => r.version).sort()).toEqual([...env.fixtures.imageTags].sort());
    expect(tagRequests(p)).toBe(Math.ceil(env.fixtures.imageTags.length / 3));
  });

  it('sends one tag listing for 50 concurrent lookups of one repository', async () => {
    const { proxy: p, datasources, source } = await proxied();
    const lists = await Promise.all(
      Array.from({ length: 50 }, () => datasources['oci-image'].getReleases(source)),
    );
    expect(lists.every((l) => l?.releases.length === env.fixtures.imageTags.length)).toBe(true);
    expect(tagRequests(p)).toBe(1);
    expect(p.requests.filter((r) => r.path === '/v2/').length).toBe(1);
  });
});
