import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ConfigError, ConflictError, ExternalHostError, NotFoundError } from '../core/errors.js';
import { createKubernetesSource } from '../sources/kubernetes.js';
import { createKubeClients, kubeErrorStatus, translateKubeError } from './client.js';
import { Workloads } from './workloads.js';

function kubeconfig(server: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
  const file = join(dir, 'config');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'ctx',
    }),
  );
  return file;
}

describe('createKubeClients', () => {
  it('marks a plain-http server skipTLSVerify, which client-node 1.4.0 needs to talk to it', () => {
    const clients = createKubeClients({ kubeconfig: kubeconfig('http://127.0.0.1:1') });
    expect(clients.config.getCurrentCluster()?.skipTLSVerify).toBe(true);
    expect(clients.server).toBe('http://127.0.0.1:1');
  });

  it('gives a ConfigError for an unknown context', () => {
    expect(() =>
      createKubeClients({ kubeconfig: kubeconfig('https://127.0.0.1:1'), context: 'nope' }),
    ).toThrow(ConfigError);
  });

  it('reports an unreachable API server as ExternalHostError, and discovery as unavailable (not "nothing runs")', async () => {
    const clients = createKubeClients({ kubeconfig: kubeconfig('https://127.0.0.1:1') });
    const workloads = new Workloads(clients);
    await expect(workloads.list('default')).rejects.toThrow(ExternalHostError);
    const result = await createKubernetesSource({
      workloads,
      namespaces: ['default'],
      defaultPolicy: 'minor',
    }).discover();
    expect(result.assets).toEqual([]);
    expect(result.problems).toEqual([
      expect.objectContaining({ subject: 'workloads in namespace default', unavailable: true }),
    ]);
  });
});

describe('kubeErrorStatus / translateKubeError', () => {
  const status = (code: number, message: string) =>
    new ApiException(code, 'HTTP-Code', JSON.stringify({ kind: 'Status', message, reason: 'X', code }), {});

  it('reads Status.message out of the raw string body', () => {
    expect(kubeErrorStatus(status(404, 'deployments.apps "web" not found'))).toEqual({
      code: 404,
      message: 'deployments.apps "web" not found',
      reason: 'X',
    });
  });

  it.each([
    [404, NotFoundError],
    [409, ConflictError],
    [422, ConflictError],
    [503, ExternalHostError],
    [429, ExternalHostError],
  ])('maps HTTP %i to %o', (code, type) => {
    const error = translateKubeError('https://api', 'read Deployment ns/web', status(code, 'boom'));
    expect(error).toBeInstanceOf(type);
    expect(error.message).toContain('read Deployment ns/web: boom');
  });
});
