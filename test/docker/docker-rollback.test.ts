/**
 * Failed Docker updates roll back to the original container — its id, configuration and named-volume data
 * intact — and a failing pre-update hook aborts before anything is touched. Dependent containers update in
 * dependency order. Real podman Docker API, real local registry, the real workflow.
 */
import { describe, expect, it } from 'vitest';
import { orderByDependencies } from '../../src/docker/dependency-order.js';
import type { Asset } from '../../src/core/model.js';
import { runUpdate } from '../../src/orchestrator/run-update.js';
import type { UpdateTarget } from '../../src/updaters/types.js';
import {
  containersOf,
  discoverAsset,
  dockerSuite,
  freePort,
  newUpdater,
  newWorkflow,
  readData,
  runApp,
} from './support.js';

const suite = dockerSuite();
const app = (prefix: string): string => suite.app(prefix);

function request(asset: Asset, version: string) {
  return { asset, target: { version }, origin: 'cli' as const, requestedBy: 'test', timeoutMs: 90_000 };
}

describe('Docker rollback', () => {
  it('rolls back an image that exits at once: the original container runs with its configuration and data', async () => {
    const name = app('crash');
    const oldId = await runApp(suite.client, name, { tag: '1.0.0', env: ['MODE=production'] });
    await suite.client.exec(name, ['sh', '-c', 'echo precious > /data/state'], { timeoutMs: 30_000 });
    const before = await suite.client.inspectContainer(name);
    const asset = await discoverAsset(suite.client, name);
    const { deps, journal } = await newWorkflow(suite.client);

    const result = await runUpdate(deps, request(asset, '1.2.0-crashloop'));

    expect(result.outcome, String(result.error)).toBe('rolled-back');
    expect(result.record?.reason).toMatch(/exited with code|restart/);
    const after = await suite.client.inspectContainer(name);
    expect(after.Id).toBe(oldId);
    expect(after.State.Running).toBe(true);
    expect(after.Config).toEqual(before.Config);
    expect(after.HostConfig).toEqual(before.HostConfig);
    expect(after.Mounts).toEqual(before.Mounts);
    expect(await readData(suite.client, name, 'state')).toBe('precious');
    expect(await containersOf(suite.client, name)).toEqual([name]);
    expect((await journal.failedVersions(asset.id)).map((f) => f.version)).toEqual(['1.2.0-crashloop']);
  });

  it('rolls back when the configured HTTP check fails on the new version', async () => {
    const name = app('httpcheck');
    const port = await freePort();
    // The user turned the image's HEALTHCHECK off, so the configured HTTP check alone must catch the failure.
    const oldId = await runApp(suite.client, name, {
      tag: '1.0.0',
      port,
      extra: { Healthcheck: { Test: ['NONE'] } },
    });
    const asset = await discoverAsset(suite.client, name);
    // The service contract: /healthz answers 200 — 1.2.0-unready runs but never serves it.
    asset.healthChecks = [
      {
        name: 'healthz',
        type: 'http',
        url: `http://127.0.0.1:${port}/healthz`,
        expectStatus: [200],
        retries: 3,
        intervalMs: 500,
        timeoutMs: 2_000,
      },
    ];
    const { deps } = await newWorkflow(suite.client);

    const result = await runUpdate(deps, request(asset, '1.2.0-unready'));

    expect(result.outcome, String(result.error)).toBe('rolled-back');
    expect(result.health?.checksFailed).toEqual(['healthz']);
    const after = await suite.client.inspectContainer(name);
    expect(after.Id).toBe(oldId);
    expect(after.State.Running).toBe(true);
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(response.status).toBe(200);
    expect(await containersOf(suite.client, name)).toEqual([name]);
  });

  it('aborts when the pre-update hook fails, before the container is touched', async () => {
    const name = app('hook');
    const oldId = await runApp(suite.client, name, {
      tag: '1.0.0',
      labels: {
        'com.centurylinklabs.watchtower.lifecycle.pre-update': 'echo dumping; test -f /data/ready-to-update',
      },
    });
    const before = await suite.client.inspectContainer(name);
    const asset = await discoverAsset(suite.client, name);
    const { deps } = await newWorkflow(suite.client);

    const result = await runUpdate(deps, request(asset, '1.1.0'));

    expect(result.outcome).toBe('failed');
    expect(result.record?.reason).toMatch(/pre-update hook .* exited 1/);
    const after = await suite.client.inspectContainer(name);
    expect(after.Id).toBe(oldId);
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
    expect(await containersOf(suite.client, name)).toEqual([name]);

    // With the hook satisfied the same update goes through.
    const touched = await suite.client.exec(name, ['sh', '-c', ': > /data/ready-to-update'], {
      timeoutMs: 30_000,
    });
    expect(touched.exitCode).toBe(0);
    const retry = await runUpdate(deps, request(await discoverAsset(suite.client, name), '1.1.0'));
    expect(retry.outcome, String(retry.error ?? retry.health?.signal)).toBe('succeeded');
  });

  it('updates containers that depend on each other in dependency order', async () => {
    const db = app('db');
    const api = app('api');
    const web = app('web');
    await runApp(suite.client, web, {
      tag: '1.0.0',
      labels: { 'com.centurylinklabs.watchtower.depends-on': api },
    });
    await runApp(suite.client, api, {
      tag: '1.0.0',
      labels: { 'com.centurylinklabs.watchtower.depends-on': db },
    });
    await runApp(suite.client, db, { tag: '1.0.0' });
    const assets = await Promise.all([web, api, db].map((name) => discoverAsset(suite.client, name)));
    expect(assets.map((a) => a.container?.dependsOn)).toEqual([[api], [db], []]);
    const updater = newUpdater(suite.client);
    const applied: string[] = [];
    const apply = updater.apply.bind(updater);
    updater.apply = async (asset: Asset, target: UpdateTarget, facts: Record<string, unknown>, ctx) => {
      applied.push(asset.name);
      await apply(asset, target, facts, ctx);
    };
    const { deps } = await newWorkflow(suite.client, updater);

    const { order, cycles } = orderByDependencies(
      assets.map((asset) => ({ name: asset.name, dependsOn: asset.container?.dependsOn ?? [], asset })),
    );
    expect(cycles).toEqual([]);
    for (const { asset } of order) {
      const result = await runUpdate(deps, request(asset, '1.1.0'));
      expect(result.outcome, `${asset.name}: ${String(result.error ?? result.health?.signal)}`).toBe(
        'succeeded',
      );
    }

    expect(applied).toEqual([db, api, web]);
    for (const name of [db, api, web]) {
      expect((await suite.client.inspectContainer(name)).Config.Image).toMatch(/:1\.1\.0$/);
    }
  });

  it('discovers a network_mode container:X peer as a dependency', async () => {
    const peer = app('peer');
    const joined = app('joined');
    await runApp(suite.client, peer, { tag: '1.0.0' });
    await runApp(suite.client, joined, {
      tag: '1.0.0',
      extra: { Cmd: ['sleep', '3600'] },
      hostConfig: { NetworkMode: `container:${peer}`, Binds: [] },
    });
    const asset = await discoverAsset(suite.client, joined);
    expect(asset.container?.dependsOn).toEqual([peer]);
  });
});
