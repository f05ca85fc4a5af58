import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnvironment } from '../support/env.js';
import { run, runOk, uniqueName, waitFor } from './support.js';

const env = loadEnvironment();
const chart = env.fixtures.chart;
const imageRepo = `${env.registries.anonymous.host}/${env.fixtures.imageRepository}`;
const namespaces: string[] = [];

interface ContainerStatus {
  image: string;
  ready: boolean;
  restartCount: number;
  state: { waiting?: { reason?: string }; running?: object; terminated?: object };
}
interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { containers: { image: string }[] };
  status: {
    phase: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: ContainerStatus[];
  };
}
interface Deployment {
  metadata: { generation: number };
  spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
  status: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
  };
}

const kubectl = (args: string[]) => runOk(env.tools.kubectl, ['--kubeconfig', env.kubeconfig, ...args]);

async function getJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await kubectl([...args, '-o', 'json'])) as T;
}

async function createNamespace(prefix: string): Promise<string> {
  const ns = uniqueName(prefix);
  await kubectl(['create', 'namespace', ns]);
  namespaces.push(ns);
  // Pods need the namespace's default ServiceAccount, which the controller-manager creates asynchronously.
  await waitFor(`ServiceAccount default in ${ns}`, async () =>
    (
      await run(env.tools.kubectl, [
        '--kubeconfig',
        env.kubeconfig,
        '-n',
        ns,
        'get',
        'serviceaccount',
        'default',
      ])
    ).code === 0
      ? true
      : undefined,
  );
  return ns;
}

/** Helm 4's --wait takes a strategy; Helm 3's is a plain flag. */
function waitFlag(helm: string): string {
  return helm === env.tools.helm4 ? '--wait=watcher' : '--wait';
}

function helm(binary: string, ns: string, args: string[]): Promise<string> {
  return runOk(binary, ['--kubeconfig', env.kubeconfig, '--namespace', ns, ...args], { timeoutMs: 280_000 });
}

function installArgs(release: string, version: string): string[] {
  return ['upgrade', '--install', release, chart, '--repo', env.chartRepos.anonymous, '--version', version];
}

/** The Deployment finished rolling out its current template: every replica updated, ready and available. */
async function waitRolledOut(ns: string, name: string, image: string): Promise<Deployment> {
  return waitFor(`Deployment ${ns}/${name} rolled out with ${image}`, async () => {
    const d = await getJson<Deployment>(['-n', ns, 'get', 'deployment', name]);
    const want = d.spec.replicas;
    const done =
      d.spec.template.spec.containers[0]?.image === image &&
      (d.status.observedGeneration ?? 0) >= d.metadata.generation &&
      d.status.updatedReplicas === want &&
      d.status.readyReplicas === want &&
      d.status.availableReplicas === want &&
      d.status.replicas === want;
    return done ? d : undefined;
  });
}

async function podsWithImage(ns: string, image: string): Promise<Pod[]> {
  const list = await getJson<{ items: Pod[] }>(['-n', ns, 'get', 'pods']);
  return list.items.filter((p) => !p.metadata.deletionTimestamp && p.spec.containers[0]?.image === image);
}

describe('kwok cluster', () => {
  beforeAll(async () => {
    await kubectl(['get', '--raw', '/readyz']);
  });
  afterAll(async () => {
    for (const ns of namespaces) {
      await run(env.tools.kubectl, [
        '--kubeconfig',
        env.kubeconfig,
        'delete',
        'namespace',
        ns,
        '--wait=false',
      ]);
    }
  });

  it('serves Kubernetes v1.34 with Ready kwok nodes that expose a kubelet endpoint', async () => {
    const version = JSON.parse(await kubectl(['version', '-o', 'json'])) as {
      serverVersion: { gitVersion: string };
    };
    expect(version.serverVersion.gitVersion).toMatch(/^v1\.34\./);
    const nodes = await getJson<{
      items: {
        status: {
          conditions: { type: string; status: string }[];
          daemonEndpoints: { kubeletEndpoint: { Port: number } };
        };
      }[];
    }>(['get', 'nodes']);
    expect(nodes.items.length).toBeGreaterThan(0);
    for (const node of nodes.items) {
      expect(node.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(node.status.daemonEndpoints.kubeletEndpoint.Port).toBeGreaterThan(0);
    }
  });

  for (const helmName of ['helm3', 'helm4'] as const) {
    it(
      `${helmName}: installs the chart Ready, crashloops on 1.2.0 and rolls back to Ready`,
      { timeout: 600_000 },
      async () => {
        const binary = env.tools[helmName];
        const ns = await createNamespace(`env-${helmName}`);
        const release = 'demo';

        await helm(binary, ns, [...installArgs(release, '1.0.0'), waitFlag(binary), '--timeout', '4m']);
        await waitRolledOut(ns, release, `${imageRepo}:1.0.0`);

        // The upgrade to the -crashloop image does not wait: its pods never become Ready.
        await helm(binary, ns, installArgs(release, '1.2.0'));
        const crashImage = `${imageRepo}:${env.fixtures.chartVersions['1.2.0']}`;
        const first = await waitFor('a pod in CrashLoopBackOff', async () => {
          const pod = (await podsWithImage(ns, crashImage)).find(
            (p) => p.status.containerStatuses?.[0]?.state.waiting?.reason === 'CrashLoopBackOff',
          );
          return pod
            ? { name: pod.metadata.name, restarts: pod.status.containerStatuses?.[0]?.restartCount ?? 0 }
            : undefined;
        });
        const climbed = await waitFor(`restartCount of ${first.name} above ${first.restarts}`, async () => {
          const pod = (await podsWithImage(ns, crashImage)).find((p) => p.metadata.name === first.name);
          const restarts = pod?.status.containerStatuses?.[0]?.restartCount ?? 0;
          return restarts > first.restarts ? restarts : undefined;
        });
        expect(climbed).toBeGreaterThan(first.restarts);
        expect(
          (await podsWithImage(ns, crashImage)).every(
            (p) => p.status.conditions?.find((c) => c.type === 'Ready')?.status !== 'True',
          ),
        ).toBe(true);
        // maxUnavailable 0: the old version keeps serving while the new one crashloops.
        const deployment = await getJson<Deployment>(['-n', ns, 'get', 'deployment', release]);
        const oldReady = (await podsWithImage(ns, `${imageRepo}:1.0.0`)).filter(
          (p) => p.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
        );
        expect(oldReady).toHaveLength(deployment.spec.replicas);

        await helm(binary, ns, ['rollback', release, '1', waitFlag(binary), '--timeout', '4m']);
        await waitRolledOut(ns, release, `${imageRepo}:1.0.0`);
        await waitFor('the -crashloop pods gone', async () =>
          (await podsWithImage(ns, crashImage)).length === 0 ? true : undefined,
        );
      },
    );
  }

  it('keeps -unready pods Running but never Ready', { timeout: 300_000 }, async () => {
    const ns = await createNamespace('env-unready');
    await helm(env.tools.helm4, ns, [...installArgs('demo', '1.3.0'), '--set', 'replicaCount=1']);
    const image = `${imageRepo}:${env.fixtures.chartVersions['1.3.0']}`;
    const pod = await waitFor('a Running -unready pod', async () =>
      (await podsWithImage(ns, image)).find((p) => p.status.phase === 'Running'),
    );
    expect(pod.status.containerStatuses?.[0]?.ready).toBe(false);
    expect(pod.status.containerStatuses?.[0]?.state.running).toBeDefined();
    expect(pod.status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    // Still not Ready a while later: nothing moves an -unready pod on.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const [later] = (await podsWithImage(ns, image)).filter((p) => p.metadata.name === pod.metadata.name);
    expect(later?.status.phase).toBe('Running');
    expect(later?.status.containerStatuses?.[0]?.ready).toBe(false);
    const deployment = await getJson<Deployment>(['-n', ns, 'get', 'deployment', 'demo']);
    expect(deployment.status.readyReplicas ?? 0).toBe(0);
  });

  it('leaves -pullerror pods Pending in ImagePullBackOff', { timeout: 300_000 }, async () => {
    const ns = await createNamespace('env-pullerror');
    await helm(env.tools.helm3, ns, [...installArgs('demo', '1.4.0'), '--set', 'replicaCount=1']);
    const image = `${imageRepo}:${env.fixtures.chartVersions['1.4.0']}`;
    const pod = await waitFor('a pod in ImagePullBackOff', async () =>
      (await podsWithImage(ns, image)).find(
        (p) => p.status.containerStatuses?.[0]?.state.waiting?.reason === 'ImagePullBackOff',
      ),
    );
    expect(pod.status.phase).toBe('Pending');
  });

  it('runs kubectl exec in a kwok pod', { timeout: 300_000 }, async () => {
    const ns = await createNamespace('env-exec');
    await kubectl(['-n', ns, 'run', 'exec-target', `--image=${imageRepo}:1.0.0`, '--restart=Never']);
    await kubectl(['-n', ns, 'wait', 'pod/exec-target', '--for=condition=Ready', '--timeout=120s']);
    const out = await waitFor('an exec answer', async () => {
      const result = await run(env.tools.kubectl, [
        '--kubeconfig',
        env.kubeconfig,
        '-n',
        ns,
        'exec',
        'exec-target',
        '--',
        'echo',
        `hello-${ns}`,
      ]);
      return result.code === 0 ? result.stdout.trim() : undefined;
    });
    expect(out).toBe(`hello-${ns}`);
  });
});
