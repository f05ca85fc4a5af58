/**
 * Leader election through a real coordination.k8s.io/v1 Lease on the local kwok cluster's API server.
 * Each test uses its own Lease name and deletes it afterwards; waits poll with generous deadlines.
 */
import { randomUUID } from 'node:crypto';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubeClients, type KubeClients } from '../../src/kubernetes/client.js';
import { KubernetesLeaseLock, LeaderElector } from '../../src/orchestrator/leader.js';
import { loadEnvironment } from '../support/env.js';

const NAMESPACE = 'default';
// Generous against a slow API server: a renewal that stalls for most of a lease must not hand it over.
const LEASE_MS = 8_000;
const RENEW_MS = 1_000;

let clients: KubeClients;
let leases: CoordinationV1Api;
const created: string[] = [];

async function pollUntil<T>(what: string, fn: () => Promise<T | undefined>, deadlineMs = 60_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

function candidate(name: string, identity: string): LeaderElector {
  return new LeaderElector({
    lock: new KubernetesLeaseLock({ clients, namespace: NAMESPACE, name, leaseDurationMs: LEASE_MS }),
    identity,
    renewIntervalMs: RENEW_MS,
    renewDeadlineMs: 5_000,
  });
}

function leaseName(): string {
  const name = `safe-updater-test-${randomUUID().slice(0, 8)}`;
  created.push(name);
  return name;
}

beforeAll(async () => {
  clients = createKubeClients({ kubeconfig: loadEnvironment().kubeconfig });
  leases = clients.config.makeApiClient(CoordinationV1Api);
  // The API server may still be settling right after start-up: wait until Leases can be listed.
  await pollUntil('the API server to serve Leases', async () =>
    leases.listNamespacedLease({ namespace: NAMESPACE }),
  );
});

afterAll(async () => {
  for (const name of created) {
    await leases.deleteNamespacedLease({ name, namespace: NAMESPACE }).catch(() => undefined);
  }
});

describe('leader election through a Kubernetes Lease', () => {
  it('elects exactly one of two candidates racing for a new Lease', async () => {
    const name = leaseName();
    const a = candidate(name, `a-${randomUUID()}`);
    const b = candidate(name, `b-${randomUUID()}`);
    const results = await Promise.all([a.tick(), b.tick()]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const lease = await leases.readNamespacedLease({ name, namespace: NAMESPACE });
    const winner = results[0] ? a : b;
    expect(lease.spec?.holderIdentity).toBe(winner.identity);
    expect(lease.spec?.leaseDurationSeconds).toBe(LEASE_MS / 1000);
  });

  it('lets the other candidate take over after expiry when the leader stops renewing', async () => {
    const name = leaseName();
    const a = candidate(name, `a-${randomUUID()}`);
    const b = candidate(name, `b-${randomUUID()}`);
    expect(await a.tick()).toBe(true);
    // While a renews, b never wins.
    for (let i = 0; i < 4; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, RENEW_MS));
      expect(await a.tick()).toBe(true);
      expect(await b.tick()).toBe(false);
    }
    // a stops renewing (as a killed process would).
    const stoppedAt = Date.now();
    await pollUntil('b to take over', async () => ((await b.tick()) ? true : undefined), 60_000);
    const tookMs = Date.now() - stoppedAt;
    // b waits a lease duration from the last renewal it saw; half of it is a bound no load can break.
    expect(tookMs).toBeGreaterThanOrEqual(LEASE_MS / 2);
    const lease = await leases.readNamespacedLease({ name, namespace: NAMESPACE });
    expect(lease.spec?.holderIdentity).toBe(b.identity);
    expect(lease.spec?.leaseTransitions).toBe(1);
    // a comes back and finds b leading: it stays a follower.
    expect(await a.tick()).toBe(false);
    expect(a.isLeader()).toBe(false);
  });

  it('hands over at once when the leader resigns', async () => {
    const name = leaseName();
    const a = candidate(name, `a-${randomUUID()}`);
    const b = candidate(name, `b-${randomUUID()}`);
    expect(await a.tick()).toBe(true);
    expect(await b.tick()).toBe(false);
    await a.resign();
    const released = await leases.readNamespacedLease({ name, namespace: NAMESPACE });
    expect(released.spec?.holderIdentity ?? '').toBe('');
    expect(await b.tick()).toBe(true);
  });
});
