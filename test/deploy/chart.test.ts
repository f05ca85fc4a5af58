/**
 * The project's own Helm chart (deploy/helm/safe-updater): `helm lint` passes, and Helm 4 installs it into
 * the kwok cluster with its least-privilege RBAC, ConfigMap, Secret, Service and a Deployment that becomes
 * available (kwok pods run no code; kwok marks them Ready). The pod names the project's own image as
 * scripts/image.sh pushes it (127.0.0.1:5001/safe-updater, tagged with the package version = the chart's
 * appVersion); kwok pulls nothing, test/deploy/image.test.ts runs that image. Uninstalled afterwards.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSchema } from '../../src/config/schema.js';
import { clients, createNamespace, deleteNamespace, pollUntil } from '../kubernetes/cluster.js';
import { loadEnvironment, repoRoot } from '../support/env.js';

const run = promisify(execFile);
const CHART = join(repoRoot, 'deploy', 'helm', 'safe-updater');
const kube = clients();
const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };

describe('Helm chart deploy/helm/safe-updater', () => {
  const env = loadEnvironment();
  // scripts/image.sh pushes the image here, tagged with package.json's version (test/deploy/image.test.ts).
  const imageRepository = `${env.registries.anonymous.host}/safe-updater`;
  const helm = (args: string[]) =>
    run(env.tools.helm4, [...args, '--kubeconfig', env.kubeconfig], { timeout: 240_000 });
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('passes helm lint, and its configuration is valid for safe-updater', async () => {
    await run(env.tools.helm4, ['lint', '--strict', CHART], { timeout: 120_000 });
    const { stdout } = await run(
      env.tools.helm4,
      ['template', 'su', CHART, '--namespace', 'ops', '--show-only', 'templates/configmap.yaml'],
      { timeout: 120_000 },
    );
    const configMap = parse(stdout) as { data: Record<string, string> };
    const config = configSchema.parse(parse(configMap.data['safe-updater.yaml'] ?? ''));
    expect(config.server).toMatchObject({ listen: '0.0.0.0:8080', tokenEnv: 'SAFE_UPDATER_API_TOKENS' });
    expect(config.state).toBe('sqlite:///data/state.db');
  });

  it('installs into the kwok cluster with its RBAC and a Deployment that becomes available', async () => {
    const namespace = await createNamespace(kube, 'chart');
    cleanups.push(() => deleteNamespace(kube, namespace));
    const release = 'su';
    await helm([
      'install',
      release,
      CHART,
      '--namespace',
      namespace,
      '--set',
      `image.repository=${imageRepository}`,
      '--set',
      'rbac.execChecks=true',
      '--set-json',
      'tolerations=[{"key":"kwok.x-k8s.io/node","operator":"Exists","effect":"NoSchedule"}]',
      '--timeout',
      '3m',
    ]);
    cleanups.push(() => helm(['uninstall', release, '--namespace', namespace, '--timeout', '3m']));
    const name = `${release}-safe-updater`;
    const clusterName = `${name}-${namespace}`;

    const account = await kube.core.readNamespacedServiceAccount({ namespace, name });
    expect(account.metadata?.name).toBe(name);

    const { RbacAuthorizationV1Api } = await import('@kubernetes/client-node');
    const rbac = kube.config.makeApiClient(RbacAuthorizationV1Api);
    const role = await rbac.readClusterRole({ name: clusterName });
    const rule = (group: string, resource: string) =>
      role.rules?.find((r) => r.apiGroups?.includes(group) && r.resources?.includes(resource));
    expect(rule('apps', 'deployments')?.verbs).toEqual(['get', 'list', 'watch', 'patch']);
    expect(rule('', 'pods')?.verbs).toEqual(['get', 'list']);
    expect(rule('', 'pods/exec')?.verbs).toEqual(['create']);
    expect(rule('', 'secrets')?.verbs).toEqual(['get', 'list', 'create', 'update', 'delete']);
    // Least privilege: nothing may delete workloads, and no wildcard anywhere.
    for (const r of role.rules ?? []) {
      expect(r.verbs).not.toContain('*');
      expect(r.resources).not.toContain('*');
    }
    const binding = await rbac.readClusterRoleBinding({ name: clusterName });
    expect(binding.subjects).toEqual([expect.objectContaining({ kind: 'ServiceAccount', name, namespace })]);
    const leaderRole = await rbac.readNamespacedRole({ namespace, name: `${name}-leader` });
    expect(leaderRole.rules).toEqual([
      expect.objectContaining({
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        verbs: ['get', 'create', 'update'],
      }),
    ]);
    await rbac.readNamespacedRoleBinding({ namespace, name: `${name}-leader` });

    const configMap = await kube.core.readNamespacedConfigMap({ namespace, name });
    expect(configMap.data?.['safe-updater.yaml']).toContain('tokenEnv: SAFE_UPDATER_API_TOKENS');
    const secret = await kube.core.readNamespacedSecret({ namespace, name });
    expect(Buffer.from(secret.data?.['api-tokens'] ?? '', 'base64').toString().length).toBeGreaterThanOrEqual(
      16,
    );
    await kube.core.readNamespacedService({ namespace, name });

    const deployment = await pollUntil(
      'the chart Deployment to become available',
      async () => {
        const found = await kube.apps.readNamespacedDeployment({ namespace, name });
        return (found.status?.availableReplicas ?? 0) >= 1 ? found : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 1_000 },
    );
    const container = deployment.spec?.template.spec?.containers[0];
    // No image.tag: the chart's appVersion, which is the version scripts/image.sh tags the image with.
    expect(container?.image).toBe(`${imageRepository}:${version}`);
    expect(container?.args).toEqual(expect.arrayContaining(['watch', '--listen', '0.0.0.0:8080']));
    expect(deployment.spec?.template.spec?.serviceAccountName).toBe(name);
    expect(container?.env?.map((e) => e.name)).toEqual(
      expect.arrayContaining(['POD_NAMESPACE', 'SAFE_UPDATER_API_TOKENS', 'SAFE_UPDATER_WEBHOOK_SECRET']),
    );
  });
});
