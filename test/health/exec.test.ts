/**
 * Exec checks in a kwok pod through the Kubernetes pods/exec API (kwok's ClusterExec runs the command on
 * this machine with KWOK_EXEC=true set). Exit 0 is healthy, another exit code a permanent failure; an asset
 * without a Ready pod fails transiently.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import type { Asset } from '../../src/core/model.js';
import { createHealthChecker } from '../../src/health/checker.js';
import { createKubernetesExecutor } from '../../src/health/checks/kubernetes-executor.js';
import {
  clients,
  createNamespace,
  createWorkload,
  deleteNamespace,
  demoImage,
  pollUntil,
  workloads,
} from '../kubernetes/cluster.js';

describe('exec health checks in kwok pods', () => {
  const kube = clients();
  const executor = createKubernetesExecutor(workloads(kube));
  const checker = createHealthChecker({
    clock: systemClock,
    executor,
    defaults: { retries: 2, intervalMs: 200 },
  });
  let ns = '';
  let asset: Asset;

  beforeAll(async () => {
    ns = await createNamespace(kube, 'health-exec');
    await createWorkload(kube, { kind: 'Deployment', namespace: ns, name: 'api', image: demoImage('1.0.0') });
    asset = {
      id: `k8s/${ns}/deployment/api/container/app`,
      kind: 'kubernetes',
      name: 'api',
      namespace: ns,
      current: { version: '1.0.0' },
      workload: { kind: 'Deployment', name: 'api', container: 'app' },
      labels: {},
      annotations: {},
      policy: 'minor',
      healthChecks: [],
    };
    // Exec needs a Ready pod and a node whose kubelet endpoint kwok serves: wait until it really works.
    await pollUntil(
      'exec in a Ready pod of api',
      async () => {
        const result = await executor.exec({ asset, command: ['true'], timeoutMs: 10_000 });
        return result.exitCode === 0 ? true : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 1_000 },
    );
  });

  afterAll(async () => {
    if (ns) await deleteNamespace(kube, ns);
  });

  it('passes when the command exits 0 inside the pod', async () => {
    const report = await checker.run(
      { name: 'kwok-env', type: 'exec', command: ['sh', '-c', 'test "$KWOK_EXEC" = true'], container: 'app' },
      asset,
    );
    expect(report).toMatchObject({ ok: true, attempts: 1 });
  });

  it('fails permanently, without retries, on another exit code, with its output', async () => {
    const report = await checker.run(
      { name: 'exit-3', type: 'exec', command: ['sh', '-c', 'echo not ready >&2; exit 3'] },
      asset,
    );
    expect(report).toMatchObject({ ok: false, transient: false, attempts: 1 });
    expect(report.message).toContain('exit 3');
    expect(report.message).toContain('not ready');
  });

  it('fails transiently when the asset has no Ready pod to run in', async () => {
    const missing: Asset = {
      ...asset,
      workload: { kind: 'Deployment', name: 'api', container: 'app' },
      namespace: `${ns}-gone`,
    };
    const report = await checker.run({ name: 'nowhere', type: 'exec', command: ['true'] }, missing);
    expect(report).toMatchObject({ ok: false, transient: true, attempts: 3 });
  });
});
