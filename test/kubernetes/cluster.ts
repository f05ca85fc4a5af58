/**
 * Helpers for suites that run against the local kwok cluster: a namespace of their own per test (random
 * suffix, deleted afterwards), workload manifests of the demo image, and polling with deadlines instead
 * of fixed sleeps.
 */
import { randomBytes } from 'node:crypto';
import type { V1DaemonSet, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { loadEnvironment } from '../support/env.js';
import { createKubeClients, kubeErrorStatus, type KubeClients } from '../../src/kubernetes/client.js';
import { Workloads } from '../../src/kubernetes/workloads.js';
import type { WorkloadKind } from '../../src/core/model.js';

export function clients(): KubeClients {
  return createKubeClients({ kubeconfig: loadEnvironment().kubeconfig });
}

export function suffix(): string {
  return randomBytes(3).toString('hex');
}

export async function createNamespace(kube: KubeClients, prefix: string): Promise<string> {
  const name = `${prefix}-${suffix()}`;
  await kube.core.createNamespace({
    body: { metadata: { name, labels: { 'safe-updater.io/test': 'true' } } },
  });
  return name;
}

/** Deletes the namespace without waiting for its finalizers: the next test uses another one anyway. */
export async function deleteNamespace(kube: KubeClients, name: string): Promise<void> {
  try {
    await kube.core.deleteNamespace({ name });
  } catch (error) {
    if (kubeErrorStatus(error).code !== 404) throw error;
  }
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes; the last state goes into the error. */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  { timeoutMs = 120_000, intervalMs = 500 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export function demoImage(tag: string): string {
  const env = loadEnvironment();
  return `${env.registries.anonymous.host}/${env.fixtures.imageRepository}:${tag}`;
}

export interface WorkloadSpec {
  kind: Exclude<WorkloadKind, 'CronJob'>;
  namespace: string;
  name: string;
  image: string;
  replicas?: number;
  annotations?: Record<string, string>;
}

export async function createWorkload(kube: KubeClients, spec: WorkloadSpec): Promise<void> {
  const labels = { app: spec.name };
  const metadata = {
    name: spec.name,
    namespace: spec.namespace,
    labels,
    annotations: spec.annotations ?? {},
  };
  const template = {
    metadata: { labels },
    spec: {
      terminationGracePeriodSeconds: 0,
      // kwok's fake nodes are often tainted so that real pods stay off them; ours belong there.
      tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
      containers: [{ name: 'app', image: spec.image, ports: [{ containerPort: 8080 }] }],
    },
  };
  const replicas = spec.replicas ?? 1;
  switch (spec.kind) {
    case 'Deployment': {
      const body: V1Deployment = {
        metadata,
        spec: { replicas, selector: { matchLabels: labels }, template },
      };
      await kube.apps.createNamespacedDeployment({ namespace: spec.namespace, body });
      return;
    }
    case 'StatefulSet': {
      const body: V1StatefulSet = {
        metadata,
        spec: { replicas, serviceName: spec.name, selector: { matchLabels: labels }, template },
      };
      await kube.apps.createNamespacedStatefulSet({ namespace: spec.namespace, body });
      return;
    }
    case 'DaemonSet': {
      const body: V1DaemonSet = { metadata, spec: { selector: { matchLabels: labels }, template } };
      await kube.apps.createNamespacedDaemonSet({ namespace: spec.namespace, body });
      return;
    }
  }
}

export function workloads(kube: KubeClients): Workloads {
  return new Workloads(kube);
}
