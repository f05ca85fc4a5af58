import { createHmac, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Asset } from '../../src/core/model.js';
import { UpdateQueue } from '../../src/orchestrator/queue.js';
import { buildServer, startServer, type ServerDeps } from '../../src/server/app.js';
import { createMetrics, recordFinishedUpdate } from '../../src/server/metrics.js';
import type { ImagePushed } from '../../src/server/registry-events.js';
import { openJournal } from '../../src/state/journal.js';
import type { Journal } from '../../src/state/types.js';

const TOKEN = `token-${randomUUID()}`;
const SECRET = `hook-${randomUUID()}`;
const HMAC_KEY = `hmac-${randomUUID()}`;

function asset(id: string, kind: Asset['kind'], namespace: string): Asset {
  return {
    id,
    kind,
    name: id.split('/').at(-1) ?? id,
    namespace,
    current: { version: '1.0.0' },
    labels: {},
    annotations: {},
    policy: 'minor',
    healthChecks: [],
  };
}

let clock: ManualClock;
let journal: Journal;
let pushes: ImagePushed[];
let app: FastifyInstance;
let paused: [string, boolean][];

async function build(overrides: Partial<ServerDeps> = {}): Promise<FastifyInstance> {
  return buildServer({
    journal,
    clock,
    metrics: createMetrics(),
    apiTokens: [TOKEN, 'other-token'],
    isLeader: () => true,
    queueDepth: () => 7,
    onPauseChanged: (assetId, value) => paused.push([assetId, value]),
    registryHook: { secret: SECRET, hmacSecret: HMAC_KEY, onImagePushed: (push) => void pushes.push(push) },
    ...overrides,
  });
}

beforeEach(async () => {
  clock = new ManualClock(new Date('2026-06-01T12:00:00Z'));
  journal = await openJournal('sqlite::memory:', { clock });
  await journal.migrate();
  pushes = [];
  paused = [];
  await journal.upsertAssets(
    [
      asset('helm/default/web', 'helm', 'default'),
      asset('k8s/shop/deployment/api/container/app', 'kubernetes', 'shop'),
      asset('docker/host1/nginx', 'docker', 'host1'),
    ],
    clock.now(),
  );
  app = await build();
});

afterEach(async () => {
  await app.close();
  await journal.close();
});

const auth = { authorization: `Bearer ${TOKEN}` };

describe('probes and metrics', () => {
  it('answers /healthz and /readyz with the leader flag', async () => {
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', leader: true });
  });

  it('says not ready when the journal does not answer', async () => {
    const broken: Journal = Object.create(journal) as Journal;
    broken.getLease = async () => {
      throw new Error('connect ECONNREFUSED postgres://app:pw@db:5432/x');
    };
    const server = await build({ journal: broken, isLeader: () => false });
    const ready = await server.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'unavailable', leader: false });
    expect(ready.body).not.toContain(':pw@');
    await server.close();
  });

  it('serves Prometheus text that a parser reads back with the recorded values', async () => {
    const metrics = createMetrics();
    const server = await build({ metrics });
    const update = await journal.createUpdate({
      assetId: 'helm/default/web',
      assetKind: 'helm',
      fromVersion: '1.0.0',
      toVersion: '1.2.0',
      origin: 'daemon',
      requestedBy: 'daemon',
    });
    clock.advance(42_000);
    recordFinishedUpdate(metrics, { ...update, state: 'rolled-back', updatedAt: clock.now() });
    metrics.recordUpdate('kubernetes', 'succeeded', 3);
    metrics.recordUpdate('kubernetes', 'succeeded', 4);
    const response = await server.inject({ url: '/metrics' });
    expect(response.headers['content-type']).toContain('text/plain');
    const families = new Map(parsePrometheusTextFormat(response.body).map((family) => [family.name, family]));
    const updates = families.get('safe_updater_updates_total');
    expect(updates?.type).toBe('COUNTER');
    expect(updates?.metrics).toEqual(
      expect.arrayContaining([
        { value: '1', labels: { kind: 'helm', result: 'rolled-back' } },
        { value: '2', labels: { kind: 'kubernetes', result: 'succeeded' } },
      ]),
    );
    expect(families.get('safe_updater_rollbacks_total')?.metrics).toEqual([
      { value: '1', labels: { kind: 'helm' } },
    ]);
    const duration = families.get('safe_updater_update_duration_seconds');
    expect(duration?.type).toBe('HISTOGRAM');
    expect(duration?.metrics).toEqual([
      expect.objectContaining({
        count: '3',
        sum: '49',
        buckets: expect.objectContaining({ '5': '2', '30': '2', '60': '3' }),
      }),
    ]);
    expect(families.get('safe_updater_assets')?.metrics).toEqual(
      expect.arrayContaining([
        { value: '1', labels: { kind: 'helm' } },
        { value: '1', labels: { kind: 'kubernetes' } },
        { value: '1', labels: { kind: 'docker' } },
      ]),
    );
    expect(families.get('safe_updater_queue_depth')?.metrics).toEqual([{ value: '7' }]);
    expect(families.get('safe_updater_leader')?.metrics).toEqual([{ value: '1' }]);
    await server.close();
  });
});

describe('REST API', () => {
  it('refuses requests without the right bearer token', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: `Basic ${TOKEN}` }]) {
      const response = await app.inject({ url: '/api/v1/assets', headers });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toContain('Bearer');
    }
    const refusedPause = await app.inject({ method: 'POST', url: '/api/v1/assets/helm/default/web/pause' });
    expect(refusedPause.statusCode).toBe(401);
    expect((await journal.getAsset('helm/default/web'))?.paused).toBe(false);
    const other = await app.inject({
      url: '/api/v1/assets',
      headers: { authorization: 'Bearer other-token' },
    });
    expect(other.statusCode).toBe(200);
  });

  it('refuses every request when no token is configured', async () => {
    const server = await build({ apiTokens: [] });
    expect((await server.inject({ url: '/api/v1/assets', headers: auth })).statusCode).toBe(401);
    await server.close();
  });

  it('lists assets with their latest update, and updates with filters and transitions', async () => {
    const first = await journal.createUpdate({
      assetId: 'helm/default/web',
      assetKind: 'helm',
      fromVersion: '1.0.0',
      toVersion: '1.1.0',
      origin: 'api',
      requestedBy: 'api',
    });
    await journal.transition(first.id, 'queued', 'validating');
    const assets = (await app.inject({ url: '/api/v1/assets', headers: auth })).json<{
      assets: { id: string; latestUpdate: { id: string } | null }[];
    }>().assets;
    expect(assets).toHaveLength(3);
    expect(assets.find((a) => a.id === 'helm/default/web')?.latestUpdate?.id).toBe(first.id);
    expect(assets.find((a) => a.id === 'docker/host1/nginx')?.latestUpdate).toBeNull();

    const validating = await app.inject({ url: '/api/v1/updates?state=validating', headers: auth });
    expect(validating.json<{ updates: { id: string }[] }>().updates.map((u) => u.id)).toEqual([first.id]);
    const none = await app.inject({
      url: '/api/v1/updates?state=queued&assetId=helm/default/web',
      headers: auth,
    });
    expect(none.json<{ updates: unknown[] }>().updates).toEqual([]);
    expect((await app.inject({ url: '/api/v1/updates?state=bogus', headers: auth })).statusCode).toBe(400);

    const one = await app.inject({ url: `/api/v1/updates/${first.id}`, headers: auth });
    expect(one.json()).toMatchObject({
      update: { id: first.id, state: 'validating' },
    });
    expect(one.json<{ transitions: { to: string }[] }>().transitions.map((t) => t.to)).toEqual([
      'queued',
      'validating',
    ]);
    expect((await app.inject({ url: '/api/v1/updates/nope', headers: auth })).statusCode).toBe(404);
  });

  it('shows the queue with what each update waits for', async () => {
    const queue = new UpdateQueue({ maxConcurrent: 1 });
    const item = { namespace: 'default', priority: 1, queuedAt: clock.now() };
    queue.add({ ...item, id: 'u1', assetId: 'helm/default/web' });
    queue.add({ ...item, id: 'u2', assetId: 'docker/host1/nginx' });
    queue.take(clock.now());
    const server = await build({ queueStatus: () => queue.status(clock.now()) });
    const response = await server.inject({ url: '/api/v1/queue', headers: auth });
    expect(response.json()).toMatchObject({
      paused: false,
      running: [{ id: 'u1' }],
      queued: [{ item: { id: 'u2' }, waitingFor: { type: 'concurrency-limit' } }],
    });
    await server.close();
    expect((await app.inject({ url: '/api/v1/queue', headers: auth })).statusCode).toBe(404);
  });

  it('pauses and resumes an asset whose id has slashes, and tells the scheduler', async () => {
    const id = 'k8s/shop/deployment/api/container/app';
    const pause = await app.inject({
      method: 'POST',
      url: `/api/v1/assets/${id}/pause`,
      headers: auth,
      payload: { reason: 'freeze for the sale' },
    });
    expect(pause.statusCode).toBe(200);
    expect(await journal.getAsset(id)).toMatchObject({ paused: true, pausedReason: 'freeze for the sale' });
    const resume = await app.inject({ method: 'POST', url: `/api/v1/assets/${id}/resume`, headers: auth });
    expect(resume.json()).toMatchObject({ asset: { id, paused: false } });
    expect(paused).toEqual([
      [id, true],
      [id, false],
    ]);
    const unknown = await app.inject({ method: 'POST', url: '/api/v1/assets/helm/x/y/pause', headers: auth });
    expect(unknown.statusCode).toBe(404);
  });

  it('cancels a queued update once, tells the daemon, and refuses one that runs', async () => {
    const cancelled: string[] = [];
    const server = await build({ onUpdateCancelled: (id) => cancelled.push(id) });
    try {
      const queued = await journal.createUpdate({
        assetId: 'helm/default/web',
        assetKind: 'helm',
        fromVersion: '1.0.0',
        toVersion: '1.1.0',
        origin: 'daemon',
        requestedBy: 'daemon',
        facts: { queue: { priority: 1, namespace: 'default', dependsOn: [] } },
      });
      const url = `/api/v1/updates/${queued.id}/cancel`;
      expect((await server.inject({ method: 'POST', url })).statusCode).toBe(401);
      const first = await server.inject({
        method: 'POST',
        url,
        headers: auth,
        payload: { reason: 'freeze' },
      });
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({ update: { id: queued.id, state: 'cancelled', reason: 'freeze' } });
      expect(cancelled).toEqual([queued.id]);
      const again = await server.inject({ method: 'POST', url, headers: auth });
      expect(again.statusCode).toBe(409);
      expect(again.json()).toMatchObject({ error: expect.stringMatching(/is cancelled/) });

      const running = await journal.createUpdate({
        assetId: 'docker/host1/nginx',
        assetKind: 'docker',
        fromVersion: '1.0.0',
        toVersion: '1.1.0',
        origin: 'cli',
        requestedBy: 'cli:alice',
      });
      await journal.transition(running.id, 'queued', 'validating');
      const refused = await server.inject({
        method: 'POST',
        url: `/api/v1/updates/${running.id}/cancel`,
        headers: auth,
      });
      expect(refused.statusCode).toBe(409);
      expect((await journal.getUpdate(running.id))?.state).toBe('validating');
      const unknown = await server.inject({
        method: 'POST',
        url: '/api/v1/updates/nope/cancel',
        headers: auth,
      });
      expect(unknown.statusCode).toBe(404);
      const audit = await journal.auditEvents({ updateId: queued.id });
      expect(audit.map((e) => [e.type, e.actor])).toEqual([['update.cancelled', 'api']]);
    } finally {
      await server.close();
    }
  });

  it("takes Watchtower's /v1/update trigger with the API token, for everything or some images", async () => {
    const requested: string[][] = [];
    const server = await build({ onUpdateRequested: (images) => requested.push(images) });
    try {
      expect((await server.inject({ method: 'GET', url: '/v1/update' })).statusCode).toBe(401);
      const all = await server.inject({ method: 'GET', url: '/v1/update', headers: auth });
      expect(all.json()).toEqual({ accepted: true, images: [] });
      const some = await server.inject({
        method: 'POST',
        url: '/v1/update?image=nginx:1.25,%20ghcr.io/acme/api',
        headers: auth,
      });
      expect(some.statusCode).toBe(200);
      expect(requested).toEqual([[], ['nginx:1.25', 'ghcr.io/acme/api']]);
    } finally {
      await server.close();
    }
    // `serve` runs no daemon: nothing to trigger.
    expect((await app.inject({ method: 'GET', url: '/v1/update', headers: auth })).statusCode).toBe(404);
  });

  it('lists approvals and decides them once; an expired one cannot be approved', async () => {
    const open = await journal.createApproval({
      id: 'ap-1',
      assetId: 'helm/default/web',
      toVersion: '2.0.0',
      requestedAt: clock.now(),
      deadline: new Date(clock.now().getTime() + 3_600_000),
    });
    await journal.createApproval({
      id: 'ap-2',
      assetId: 'docker/host1/nginx',
      toVersion: '2.0.0',
      requestedAt: clock.now(),
      deadline: new Date(clock.now().getTime() + 60_000),
    });
    const pending = await app.inject({ url: '/api/v1/approvals?state=pending', headers: auth });
    expect(
      pending
        .json<{ approvals: { id: string }[] }>()
        .approvals.map((a) => a.id)
        .sort(),
    ).toEqual(['ap-1', 'ap-2']);
    const approve = await app.inject({
      method: 'POST',
      url: `/api/v1/approvals/${open.id}/approve`,
      headers: auth,
      payload: { comment: 'ticket OPS-1' },
    });
    expect(approve.json()).toMatchObject({
      approval: { state: 'approved', decidedBy: 'api', comment: 'ticket OPS-1' },
    });
    const again = await app.inject({
      method: 'POST',
      url: `/api/v1/approvals/${open.id}/reject`,
      headers: auth,
    });
    expect(again.statusCode).toBe(409);

    clock.advance(120_000);
    const late = await app.inject({ method: 'POST', url: '/api/v1/approvals/ap-2/approve', headers: auth });
    expect(late.statusCode).toBe(409);
    expect(late.json<{ error: string }>().error).toMatch(/expired/);
    expect((await journal.listApprovals({ state: 'expired' })).map((a) => a.id)).toEqual(['ap-2']);
    expect(
      (await app.inject({ method: 'POST', url: '/api/v1/approvals/nope/approve', headers: auth })).statusCode,
    ).toBe(404);
  });
});

describe('registry webhook receiver', () => {
  const distribution = {
    events: [
      {
        id: 'e1',
        action: 'push',
        target: {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: 'sha256:aaaa',
          repository: 'demo/app',
          url: 'http://127.0.0.1:5001/v2/demo/app/manifests/sha256:aaaa',
          tag: '2.1.0',
        },
        request: { host: '127.0.0.1:5001' },
      },
      {
        id: 'e2',
        action: 'push',
        target: { mediaType: 'application/octet-stream', digest: 'sha256:bbbb', repository: 'demo/app' },
      },
    ],
  };

  it('accepts a Distribution envelope with the shared secret and reports the manifest push only', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/hooks/registry',
      headers: {
        'content-type': 'application/vnd.docker.distribution.events.v1+json',
        'x-webhook-secret': SECRET,
      },
      payload: JSON.stringify(distribution),
    });
    expect(response.statusCode).toBe(202);
    expect(pushes).toEqual([
      { registry: '127.0.0.1:5001', repository: 'demo/app', tag: '2.1.0', digest: 'sha256:aaaa' },
    ]);
  });

  it('accepts a Docker Hub payload with the secret in the URL, and an HMAC-signed one', async () => {
    const hub = JSON.stringify({
      push_data: { tag: '1.27.1', pusher: 'bob' },
      repository: { repo_name: 'bob/web' },
    });
    const viaQuery = await app.inject({
      method: 'POST',
      url: `/hooks/registry?secret=${encodeURIComponent(SECRET)}`,
      headers: { 'content-type': 'application/json' },
      payload: hub,
    });
    expect(viaQuery.statusCode).toBe(202);
    const signed = JSON.stringify({ repository: '127.0.0.1:5002/demo/app', tag: '1.2.0' });
    const signature = `sha256=${createHmac('sha256', HMAC_KEY).update(signed).digest('hex')}`;
    const viaHmac = await app.inject({
      method: 'POST',
      url: '/hooks/registry',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
      payload: signed,
    });
    expect(viaHmac.statusCode).toBe(202);
    expect(pushes).toEqual([
      { registry: 'docker.io', repository: 'bob/web', tag: '1.27.1', digest: null },
      { registry: '127.0.0.1:5002', repository: 'demo/app', tag: '1.2.0', digest: null },
    ]);
  });

  it('refuses a wrong secret, a bad signature, a signature over other bytes and no credentials', async () => {
    const body = JSON.stringify({ repository: 'demo/app', tag: '9.9.9' });
    const otherBody = JSON.stringify({ repository: 'demo/app', tag: '9.9.8' });
    const attempts: Record<string, string>[] = [
      {},
      { 'x-webhook-secret': `${SECRET}x` },
      { authorization: `Bearer ${SECRET.slice(0, -1)}` },
      { 'x-hub-signature-256': 'sha256=00' },
      { 'x-hub-signature-256': `sha256=${createHmac('sha256', HMAC_KEY).update(otherBody).digest('hex')}` },
      { 'x-hub-signature-256': `sha256=${createHmac('sha256', 'wrong').update(body).digest('hex')}` },
    ];
    for (const headers of attempts) {
      const response = await app.inject({
        method: 'POST',
        url: '/hooks/registry',
        headers: { 'content-type': 'application/json', ...headers },
        payload: body,
      });
      expect(response.statusCode, JSON.stringify(headers)).toBe(401);
    }
    expect(pushes).toEqual([]);
  });

  it('answers 400 to a body that is not a registry notification', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/hooks/registry',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      payload: '{"hello":"world"}',
    });
    expect(response.statusCode).toBe(400);
    const notJson = await app.inject({
      method: 'POST',
      url: '/hooks/registry',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${SECRET}` },
      payload: 'push!',
    });
    expect(notJson.statusCode).toBe(400);
  });
});

describe('on a real listening port', () => {
  it('serves probes, the API and the webhook over TCP', async () => {
    const server = await startServer(
      {
        journal,
        clock,
        metrics: createMetrics(),
        apiTokens: [TOKEN],
        registryHook: { secret: SECRET, onImagePushed: (push) => void pushes.push(push) },
      },
      { host: '127.0.0.1', port: 0 },
    );
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${server.url}/api/v1/assets`)).status).toBe(401);
      const assets = await fetch(`${server.url}/api/v1/assets`, { headers: auth });
      expect(((await assets.json()) as { assets: unknown[] }).assets).toHaveLength(3);
      const hook = await fetch(`${server.url}/hooks/registry`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-webhook-secret': SECRET },
        body: JSON.stringify({ image: '127.0.0.1:5001/demo/app:2.0.0' }),
      });
      expect(hook.status).toBe(202);
      expect(pushes).toEqual([
        { registry: '127.0.0.1:5001', repository: 'demo/app', tag: '2.0.0', digest: null },
      ]);
      const metrics = await fetch(`${server.url}/metrics`);
      expect(parsePrometheusTextFormat(await metrics.text()).map((family) => family.name)).toContain(
        'safe_updater_updates_total',
      );
    } finally {
      await server.close();
    }
  });
});
