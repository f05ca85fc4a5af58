/**
 * Docker updates against podman's real Docker API and the local registry, through the real write-ahead
 * workflow (run-update) with the Docker updater and the http/exec checks.
 */
import { describe, expect, it } from 'vitest';
import { isDeepStrictEqual } from 'node:util';
import { digestFor } from '../../src/docker/image-ref.js';
import type { ContainerConfig, ContainerInspect, ImageInspect } from '../../src/docker/types.js';
import { runUpdate } from '../../src/orchestrator/run-update.js';
import { UnreproducibleContainerError } from '../../src/updaters/docker/index.js';
import {
  containersOf,
  discoverAsset,
  dockerSuite,
  environment,
  freePort,
  newWorkflow,
  readData,
  runApp,
} from './support.js';

const suite = dockerSuite();
const app = (prefix: string): string => suite.app(prefix);

/** The env entries a container set itself: not the image's, not the engine's per-container HOSTNAME. */
function ownEnv(container: ContainerConfig, image: ContainerConfig): string[] {
  const imageEnv = new Set(image.Env ?? []);
  return (container.Env ?? []).filter((e) => !imageEnv.has(e) && !e.startsWith('HOSTNAME=')).sort();
}

/**
 * "Identical minus the image": every Config field is the container's own setting carried over, or — where
 * the old container only had the old image's default — the new image's default. HostConfig and mounts equal.
 */
function expectSameConfiguration(
  before: ContainerInspect,
  beforeImage: ImageInspect,
  after: ContainerInspect,
  afterImage: ImageInspect,
): void {
  const oldDefaults = beforeImage.Config ?? {};
  const newDefaults = afterImage.Config ?? {};
  expect(ownEnv(after.Config, newDefaults)).toEqual(ownEnv(before.Config, oldDefaults));
  for (const key of [
    'Cmd',
    'Entrypoint',
    'WorkingDir',
    'User',
    'Healthcheck',
    'ExposedPorts',
    'Tty',
    'StopSignal',
    'StopTimeout',
  ]) {
    const wasDefault = isDeepStrictEqual(before.Config[key], oldDefaults[key]);
    const expected = wasDefault && key in newDefaults ? newDefaults[key] : before.Config[key];
    expect({ key, value: after.Config[key] }).toEqual({ key, value: expected });
  }
  const ownLabels = (c: ContainerConfig, i: ContainerConfig) =>
    Object.fromEntries(Object.entries(c.Labels ?? {}).filter(([k, v]) => (i.Labels ?? {})[k] !== v));
  expect(ownLabels(after.Config, newDefaults)).toEqual(ownLabels(before.Config, oldDefaults));
  expect(after.HostConfig).toEqual(before.HostConfig);
  expect(after.Mounts).toEqual(before.Mounts);
  const networks = (c: ContainerInspect) =>
    Object.fromEntries(
      Object.entries(c.NetworkSettings?.Networks ?? {}).map(([n, s]) => [
        n,
        (s.Aliases ?? []).filter((a) => a !== c.Id.slice(0, 12)),
      ]),
    );
  expect(networks(after)).toEqual(networks(before));
}

describe('Docker update through the workflow', () => {
  it('recreates a 1.0.0 container on 1.1.0 with identical configuration, verified healthy, old container removed', async () => {
    const name = app('update');
    const port = await freePort();
    const oldId = await runApp(suite.client, name, {
      tag: '1.0.0',
      port,
      env: ['MODE=production'],
      labels: { 'com.example/team': 'web' },
      extra: {
        User: '0',
        WorkingDir: '/data',
        Healthcheck: { Test: ['CMD-SHELL', 'test -d /data'], Interval: 2e9, Timeout: 1e9, Retries: 3 },
      },
      hostConfig: { Memory: 64 * 1024 * 1024, CapDrop: ['NET_RAW'], ExtraHosts: ['db.internal:127.0.0.1'] },
    });
    await suite.client.exec(name, ['sh', '-c', 'echo kept > /data/marker'], { timeoutMs: 30_000 });
    const before = await suite.client.inspectContainer(name);
    const beforeImage = await suite.client.inspectImage(before.Image);
    const asset = await discoverAsset(suite.client, name);
    expect(asset.current.version).toBe('1.0.0');
    asset.healthChecks = [
      {
        name: 'web',
        type: 'http',
        url: `http://127.0.0.1:${port}/healthz`,
        expectStatus: [200],
        retries: 20,
        intervalMs: 500,
      },
      { name: 'marker', type: 'exec', command: ['cat', '/data/marker'], retries: 5 },
    ];
    const { deps } = await newWorkflow(suite.client);

    const result = await runUpdate(deps, {
      asset,
      target: { version: '1.1.0' },
      origin: 'cli',
      requestedBy: 'test',
      timeoutMs: 120_000,
    });

    expect(result.outcome, String(result.error ?? result.health?.signal)).toBe('succeeded');
    expect(result.health?.checksPassed).toEqual(expect.arrayContaining(['web', 'marker']));
    const after = await suite.client.inspectContainer(name);
    expect(after.Id).not.toBe(oldId);
    expect(after.Config.Image).toBe(`${environment().repository}:1.1.0`);
    expect(after.State.Running).toBe(true);
    expect(after.State.Health?.Status).toBe('healthy');
    expectSameConfiguration(before, beforeImage, after, await suite.client.inspectImage(after.Image));
    expect(await containersOf(suite.client, name)).toEqual([name]);
    expect(await suite.client.findContainer(oldId)).toBeUndefined();
    expect(await readData(suite.client, name, 'marker')).toBe('kept');
    const body = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
    expect(body).toContain('1.1.0');
  });

  it('follows `latest` when the tag moves to a new digest', async () => {
    const { env, repository } = environment();
    const [older, newest] = [env.fixtures.latestDigests.at(-2), env.fixtures.latestDigests.at(-1)];
    expect(older && newest && older !== newest).toBe(true);
    // The host last pulled `latest` when it pointed at the older digest.
    await suite.client.pullImage({ image: repository, digest: older as string });
    await suite.client.tagImage(`${repository}@${older as string}`, repository, 'latest');
    const name = app('latest');
    await runApp(suite.client, name, { tag: 'latest', pull: false });
    const asset = await discoverAsset(suite.client, name);
    expect(asset.current).toEqual({ version: 'latest', digest: older });
    const { deps } = await newWorkflow(suite.client);

    const result = await runUpdate(deps, {
      asset,
      target: { version: 'latest', digest: newest as string },
      origin: 'cli',
      requestedBy: 'test',
      timeoutMs: 120_000,
    });

    expect(result.outcome, String(result.error ?? result.health?.signal)).toBe('succeeded');
    const after = await suite.client.inspectContainer(name);
    expect(after.Config.Image).toBe(`${repository}:latest`);
    const image = await suite.client.inspectImage(after.Image);
    expect(digestFor(image.RepoDigests, `${repository}:latest`)).toBe(newest);
    expect((await discoverAsset(suite.client, name)).current).toEqual({ version: 'latest', digest: newest });
  });

  it('refuses a container it cannot reproduce (AutoRemove) before touching anything, naming the field', async () => {
    const name = app('autoremove');
    const id = await runApp(suite.client, name, {
      tag: '1.0.0',
      hostConfig: { AutoRemove: true, RestartPolicy: { Name: 'no' } },
    });
    const before = await suite.client.inspectContainer(name);
    const asset = await discoverAsset(suite.client, name);
    const { deps } = await newWorkflow(suite.client);

    const result = await runUpdate(deps, {
      asset,
      target: { version: '1.1.0' },
      origin: 'cli',
      requestedBy: 'test',
      timeoutMs: 60_000,
    });

    expect(result.outcome).toBe('failed');
    expect(result.error).toBeInstanceOf(UnreproducibleContainerError);
    expect(String((result.error as Error).message)).toContain('HostConfig.AutoRemove');
    const after = await suite.client.inspectContainer(name);
    expect(after.Id).toBe(id);
    expect(after.State.Running).toBe(true);
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
    expect(after.Config.Image).toBe(before.Config.Image);
    expect(await containersOf(suite.client, name)).toEqual([name]);
  });
});
