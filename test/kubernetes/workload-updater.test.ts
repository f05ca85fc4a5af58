/**
 * The workload updater against the real (kwok) cluster: Deployments, StatefulSets and DaemonSets of the demo
 * image are discovered, updated to a healthy tag, and updated to a crashlooping tag that the verifier
 * catches from pod signals and the updater rolls back. Also -pullerror and -unready on a Deployment.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Asset } from '../../src/core/model.js';
import { ConflictError } from '../../src/core/errors.js';
import type { KubeClients } from '../../src/kubernetes/client.js';
import type { Workloads } from '../../src/kubernetes/workloads.js';
import { containerImagePath } from '../../src/kubernetes/workloads.js';
import { createKubernetesSource } from '../../src/sources/kubernetes.js';
import { WorkloadUpdater } from '../../src/updaters/kubernetes/workload-updater.js';
import type { UpdateContext } from '../../src/updaters/types.js';
import {
  clients,
  createNamespace,
  createWorkload,
  deleteNamespace,
  demoImage,
  workloads,
  type WorkloadSpec,
} from './cluster.js';

/** Generous bounds for a loaded 2-core CI machine; measured figures are printed. */
const HEALTHY_TIMEOUT_MS = 150_000;
const ctx = (timeoutMs = HEALTHY_TIMEOUT_MS): UpdateContext => ({ timeoutMs });

let kube: KubeClients;
let live: Workloads;
let namespace: string;

beforeEach(async () => {
  kube = clients();
  live = workloads(kube);
  namespace = await createNamespace(kube, 'wl');
});

afterEach(async () => {
  await deleteNamespace(kube, namespace);
});

async function discoverOne(
  spec: Omit<WorkloadSpec, 'namespace'>,
): Promise<{ asset: Asset; updater: WorkloadUpdater }> {
  await createWorkload(kube, { ...spec, namespace });
  const updater = new WorkloadUpdater({ workloads: live, pollIntervalMs: 500 });
  const source = createKubernetesSource({ workloads: live, namespaces: [namespace], defaultPolicy: 'minor' });
  const { assets, problems } = await source.discover();
  expect(problems).toEqual([]);
  const asset = assets.find((a) => a.workload?.name === spec.name);
  if (!asset) throw new Error(`${spec.name} not discovered: ${JSON.stringify(assets.map((a) => a.id))}`);
  // The first rollout must be complete before an update starts (same verifier, same rules).
  const initial = await updater.verify(asset, asset.current, {}, ctx());
  expect(initial.verdict, initial.message).toBe('healthy');
  return { asset, updater };
}

async function liveImage(asset: Asset): Promise<string> {
  const workload = await live.read({
    kind: asset.workload?.kind ?? 'Deployment',
    namespace,
    name: asset.name,
  });
  return containerImagePath(workload, 'app').image;
}

async function updateAndVerify(
  updater: WorkloadUpdater,
  asset: Asset,
  version: string,
  timeoutMs = HEALTHY_TIMEOUT_MS,
) {
  const target = { version };
  await updater.validate(asset, target, ctx());
  const facts = await updater.prepare(asset, target, ctx());
  const started = Date.now();
  await updater.apply(asset, target, facts, ctx());
  const health = await updater.verify(asset, target, facts, ctx(timeoutMs));
  return { facts, health, elapsedMs: Date.now() - started };
}

describe.each(['Deployment', 'StatefulSet', 'DaemonSet'] as const)('%s image updates', (kind) => {
  it('discovers the opted-in workload, updates it to a healthy tag, and rolls back a crashlooping one', async () => {
    const name = `app-${kind.toLowerCase()}`;
    const { asset, updater } = await discoverOne({
      kind,
      name,
      image: demoImage('1.0.0'),
      replicas: kind === 'StatefulSet' ? 2 : 1,
      annotations: { 'keel.sh/policy': 'minor' },
    });
    expect(asset.id).toBe(`k8s/${namespace}/${kind.toLowerCase()}/${name}/container/app`);
    expect(asset.current.version).toBe('1.0.0');
    expect(asset.policy).toBe('minor');
    expect(asset.source).toEqual({ type: 'oci-image', image: demoImage('1.0.0').replace(/:1\.0\.0$/, '') });

    const healthy = await updateAndVerify(updater, asset, '1.1.0');
    expect(healthy.health.verdict, healthy.health.message).toBe('healthy');
    expect(await liveImage(asset)).toBe(demoImage('1.1.0'));
    expect(await updater.locate(asset, { version: '1.1.0' }, healthy.facts)).toBe('target');
    const annotated = await live.read({ kind, namespace, name });
    expect(annotated.metadata.annotations?.['kubernetes.io/change-cause']).toContain('1.1.0');
    expect(annotated.metadata.annotations?.['safe-updater.io/previous-image']).toBe(demoImage('1.0.0'));

    const current = await updater.refresh(asset);
    expect(current.current.version).toBe('1.1.0');
    const bad = await updateAndVerify(updater, current, '1.2.0-crashloop');
    console.log(`[measure] ${kind} crashloop detected in ${bad.elapsedMs} ms: ${bad.health.signal ?? ''}`);
    expect(bad.health.verdict).toBe('failed');
    expect(bad.health.signal).toMatch(/^(CrashLoopBackOff|RestartLoop) in pod \S+ container app/);

    await updater.rollback(current, bad.facts, ctx());
    expect(await liveImage(asset)).toBe(demoImage('1.1.0'));
    expect(await updater.locate(current, { version: '1.2.0-crashloop' }, bad.facts)).toBe('previous');
    const after = await updater.verify(current, current.current, bad.facts, ctx());
    expect(after.verdict, after.message).toBe('healthy');
    expect(after.readyReplicas).toBe(after.totalReplicas);
  });
});

describe('Deployment failure variants', () => {
  it('catches an image that cannot be pulled from the pod signal and rolls back', async () => {
    const { asset, updater } = await discoverOne({
      kind: 'Deployment',
      name: 'pull',
      image: demoImage('1.0.0'),
      annotations: { 'safe-updater.io/enable': 'true' },
    });
    const bad = await updateAndVerify(updater, asset, '1.2.0-pullerror');
    console.log(`[measure] Deployment pullerror detected in ${bad.elapsedMs} ms: ${bad.health.signal ?? ''}`);
    expect(bad.health.verdict).toBe('failed');
    expect(bad.health.signal).toMatch(/^(ImagePullBackOff|ErrImagePull) in pod pull-\S+ container app/);
    await updater.rollback(asset, bad.facts, ctx());
    expect(await liveImage(asset)).toBe(demoImage('1.0.0'));
  });

  it('fails a never-ready version at the deadline, saying what is not ready, and rolls back', async () => {
    const { asset, updater } = await discoverOne({
      kind: 'Deployment',
      name: 'unready',
      image: demoImage('1.0.0'),
      annotations: { 'safe-updater.io/enable': 'true' },
    });
    const bad = await updateAndVerify(updater, asset, '1.2.0-unready', 20_000);
    console.log(
      `[measure] Deployment unready failed after ${bad.elapsedMs} ms (deadline 20000): ${bad.health.signal ?? ''}`,
    );
    expect(bad.health.verdict).toBe('failed');
    expect(bad.health.signal).toMatch(/^not healthy after 20s: /);
    expect(bad.health.signal).toMatch(/not ready|available|pending termination/);
    expect(bad.elapsedMs).toBeGreaterThanOrEqual(19_000);
    await updater.rollback(asset, bad.facts, ctx());
    expect(await liveImage(asset)).toBe(demoImage('1.0.0'));
  });

  it('refuses to overwrite an image someone changed after prepare (guarded patch)', async () => {
    const { asset, updater } = await discoverOne({
      kind: 'Deployment',
      name: 'guard',
      image: demoImage('1.0.0'),
      annotations: { 'safe-updater.io/enable': 'true' },
    });
    const facts = await updater.prepare(asset, { version: '1.1.0' }, ctx());
    await live.patch({ kind: 'Deployment', namespace, name: 'guard' }, [
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: demoImage('1.0.1') },
    ]);
    await expect(updater.apply(asset, { version: '1.1.0' }, facts, ctx())).rejects.toThrow(ConflictError);
    expect(await liveImage(asset)).toBe(demoImage('1.0.1'));
    expect(await updater.locate(asset, { version: '1.1.0' }, facts)).toBe('unknown');
  });

  it('leaves workloads without opt-in out of discovery, and honours an explicit opt-out', async () => {
    await createWorkload(kube, { kind: 'Deployment', namespace, name: 'plain', image: demoImage('1.0.0') });
    await createWorkload(kube, {
      kind: 'Deployment',
      namespace,
      name: 'out',
      image: demoImage('1.0.0'),
      annotations: { 'safe-updater.io/enable': 'false', 'keel.sh/policy': 'all' },
    });
    const listed = `k8s/${namespace}/deployment/plain/container/app`;
    const source = createKubernetesSource({
      workloads: live,
      namespaces: [namespace],
      defaultPolicy: 'patch',
      assets: [{ id: listed, policy: 'major', monitorOnly: true }],
    });
    const { assets } = await source.discover();
    expect(assets.map((a) => [a.id, a.policy, a.monitorOnly])).toEqual([[listed, 'major', true]]);
  });
});
