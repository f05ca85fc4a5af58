/**
 * A Deployment's image updated through the real CLI: a healthy update and a manual rollback that automation
 * then respects; a crashlooping image rolled back; an HTTP check that fails for the new version rolls it back
 * although its pods are Ready; three rollbacks in the window pause the asset and a fourth update is refused.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  clients,
  createNamespace,
  createWorkload,
  deleteNamespace,
  demoImage,
} from '../kubernetes/cluster.js';
import { loadEnvironment } from '../support/env.js';
import { createWorkspace, liveTag, said, waitForDeployment, type Workspace } from './support.js';

const kube = clients();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function setUp(prefix: string, checkUrl?: string): Promise<{ ns: string; ws: Workspace; id: string }> {
  const ns = await createNamespace(kube, `e2e-${prefix}`);
  cleanups.push(() => deleteNamespace(kube, ns));
  const id = `k8s/${ns}/deployment/api/container/app`;
  const env = loadEnvironment();
  const ws = createWorkspace({
    helm: 'helm4',
    namespaces: [ns],
    defaultPolicy: 'all',
    ...(checkUrl
      ? {
          healthChecks: {
            'api-http': { type: 'http', url: checkUrl, retries: 1, interval: '200ms', timeout: '3s' },
          },
        }
      : {}),
    assets: [
      {
        id,
        source: { image: `${env.registries.anonymous.host}/${env.fixtures.imageRepository}` },
        ...(checkUrl ? { healthChecks: ['api-http'] } : {}),
      },
    ],
  });
  cleanups.push(() => ws.cleanup());
  await createWorkload(kube, {
    kind: 'Deployment',
    namespace: ns,
    name: 'api',
    image: demoImage('1.0.0'),
    replicas: 2,
    annotations: { 'safe-updater.io/enable': 'true' },
  });
  await waitForDeployment(ns, 'api', '1.0.0');
  return { ns, ws, id };
}

describe('Deployment image updates', () => {
  it('updates to a healthy tag, and a manual rollback is respected by automation afterwards', async () => {
    const { ns, ws, id } = await setUp('deploy');

    const update = await ws.cli(['update', id, '--to-version', '1.1.0']);
    expect(update.code, said(update)).toBe(0);
    expect(update.json).toMatchObject({ outcome: 'succeeded' });
    expect(await liveTag(ns, 'Deployment', 'api')).toBe('1.1.0');

    const rollback = await ws.cli(['rollback', id]);
    expect(rollback.code, said(rollback)).toBe(0);
    expect(rollback.json).toMatchObject({
      outcome: 'succeeded',
      update: { fromVersion: '1.1.0', toVersion: '1.0.0' },
    });
    await waitForDeployment(ns, 'api', '1.0.0');

    const again = await ws.cli(['update', id, '--to-version', '1.1.0']);
    expect(again.code, said(again)).toBe(4);
    expect(await liveTag(ns, 'Deployment', 'api')).toBe('1.0.0');
  });

  it('rolls back an image whose pods crashloop (exit 3)', async () => {
    const { ns, ws, id } = await setUp('crash');
    const update = await ws.cli(['update', id, '--to-version', '1.2.0-crashloop', '--force']);
    expect(update.code, said(update)).toBe(3);
    expect(update.json).toMatchObject({ outcome: 'rolled-back' });
    await waitForDeployment(ns, 'api', '1.0.0');
  });

  it('rolls back when an HTTP check fails for the new version although its pods are Ready', async () => {
    const ns0 = { value: '' };
    const url = await versionAwareServer(ns0);
    const { ns, ws, id } = await setUp('http', url);
    ns0.value = ns;

    const update = await ws.cli(['update', id, '--to-version', '1.2.0']);
    expect(update.code, said(update)).toBe(3);
    const record = update.json?.update as { reason: string; state: string };
    expect(record.state).toBe('rolled-back');
    expect(record.reason).toMatch(/http check api-http failed.*status 500/);
    const health = update.json?.health as {
      readyReplicas: number;
      totalReplicas: number;
      checksFailed: string[];
    };
    expect(health.checksFailed).toContain('api-http');
    expect(health.readyReplicas).toBe(health.totalReplicas);
    await waitForDeployment(ns, 'api', '1.0.0');
  });

  it('pauses the asset after three rollbacks within the window and refuses a fourth update', async () => {
    const ns0 = { value: '' };
    const url = await versionAwareServer(ns0, (tag) => tag !== '1.0.0');
    const { ns, ws, id } = await setUp('loop', url);
    ns0.value = ns;

    const results = [];
    for (const version of ['1.0.1', '1.1.0', '1.2.0']) {
      const result = await ws.cli(['update', id, '--to-version', version]);
      expect(result.code, said(result)).toBe(3);
      results.push(result);
    }
    expect(String(results[2]?.json?.pausedReason)).toMatch(/rollback loop: 3 rollbacks/);

    const fourth = await ws.cli(['update', id, '--to-version', '2.0.0', '--force']);
    expect(fourth.code, said(fourth)).toBe(4);
    expect(fourth.stdout).toMatch(/paused/);
    expect(await liveTag(ns, 'Deployment', 'api')).toBe('1.0.0');
  });
});

/**
 * An HTTP health endpoint on loopback whose answer depends on the image tag the Deployment runs, read from
 * the API. It starts before the namespace exists (its URL goes into the config), so it reads `ns.value`.
 */
async function versionAwareServer(
  ns: { value: string },
  failing: (tag: string) => boolean = (tag) => tag === '1.2.0',
): Promise<string> {
  const server: Server = createServer((_request, response) => {
    liveTag(ns.value, 'Deployment', 'api').then(
      (tag) => {
        response.statusCode = failing(tag) ? 500 : 200;
        response.end(`version=${tag}`);
      },
      (error: unknown) => {
        response.statusCode = 503;
        response.end(String(error));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
}
