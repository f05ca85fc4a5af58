/**
 * Two `watch` replicas against one cluster, as the Helm chart runs them: POD_NAMESPACE is set, so the
 * coordination.k8s.io Lease `safe-updater-leader` elects the leader, and both share one PostgreSQL journal.
 * Only the Lease holder scans and updates; the holder is killed with SIGKILL while its update is
 * `verifying` (rollback.monitor is 30 s so the kill lands inside it); the other replica takes the Lease once
 * it has seen no renewal for the lease duration, settles the interrupted record (no second update of the
 * same version), keeps working (a registry webhook makes it update again) and stops on SIGTERM.
 */
import { hostname } from 'node:os';
import { CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorMessage } from '../../src/core/errors.js';
import { isTerminal } from '../../src/core/update-state.js';
import { NON_TERMINAL_STATES } from '../../src/orchestrator/run-update.js';
import type { Journal, UpdateRecord } from '../../src/state/types.js';
import {
  clients,
  createNamespace,
  deleteNamespace,
  demoImage,
  pollUntil,
  workloads,
} from '../kubernetes/cluster.js';
import { waitForDeployment } from '../e2e/support.js';
import { postgres } from '../state/backends.js';
import {
  createDaemonWorkspace,
  deployApp,
  postImagePushed,
  readyLeader,
  waitForExit,
  type DaemonProcess,
  type DaemonWorkspace,
} from './support.js';

const kube = clients();
const leases = kube.config.makeApiClient(CoordinationV1Api);
/** src/daemon/from-config.ts LEASE_NAME and LEASE_DURATION_MS; the elector retries every 2 s. */
const LEASE_NAME = 'safe-updater-leader';
const LEASE_DURATION_MS = 15_000;
const RENEW_INTERVAL_MS = 2_000;
const WATCH = ['watch', '--interval', '1h', '--listen', '127.0.0.1:0'];

/** The messages of a daemon's JSON log lines on stderr. */
function messages(proc: DaemonProcess): string[] {
  return proc
    .stderr()
    .split('\n')
    .flatMap((line) => {
      try {
        const msg = (JSON.parse(line) as { msg?: unknown }).msg;
        return typeof msg === 'string' ? [msg] : [];
      } catch {
        return [];
      }
    });
}

/** Both logs, for assertion messages: what each replica did. */
function logsOf(procs: Record<string, DaemonProcess | undefined>): string {
  return Object.entries(procs)
    .map(([name, proc]) => `--- ${name} (pid ${proc?.child.pid ?? '-'}) ---\n${proc?.stderr() ?? ''}`)
    .join('\n');
}

async function lease(namespace: string): Promise<V1Lease | undefined> {
  try {
    return await leases.readNamespacedLease({ name: LEASE_NAME, namespace });
  } catch {
    return undefined;
  }
}

describe('two watch replicas on one Kubernetes Lease and one PostgreSQL journal', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  let ns: string;
  let assetId: string;
  let journal: Journal;
  let ws: DaemonWorkspace;
  let a: DaemonProcess;
  let b: DaemonProcess;
  let urlB: string;
  let interrupted: UpdateRecord;
  let killedAt: number;
  let settledState: string;

  const replica = (name: string): DaemonProcess =>
    ws.start(WATCH, { env: { POD_NAMESPACE: ns, POD_NAME: name } });
  /** Holder identities are `${POD_NAME}:${pid}:random` (src/orchestrator/leader.ts leaderIdentity). */
  const identityPrefix = (name: string, proc: DaemonProcess): string => `${name}:${proc.child.pid}:`;
  const updates = (): Promise<UpdateRecord[]> => journal.listUpdates({ assetId });
  // Undefined until started: a failure before then still reports what there is.
  const logs = (): string => logsOf({ A: a as DaemonProcess | undefined, B: b as DaemonProcess | undefined });
  /** The asset's records with their transitions, for failure messages. */
  const story = async (): Promise<string> => {
    const lines: string[] = [];
    for (const u of await updates()) {
      lines.push(`record ${u.id} ${u.fromVersion}→${u.toVersion} ${u.state} (${u.reason ?? ''})`);
      for (const t of await journal.transitions(u.id)) {
        lines.push(`  ${t.at.toISOString()} ${t.from ?? '-'} → ${t.to}: ${t.message ?? ''}`);
      }
    }
    return lines.join('\n');
  };
  /** pollUntil, and on a timeout the journal's story and both logs: what each replica did. */
  const waitFor = async <T>(
    what: string,
    check: () => Promise<T | undefined>,
    options: { timeoutMs: number; intervalMs: number },
  ): Promise<T> => {
    try {
      return await pollUntil(what, check, options);
    } catch (error) {
      throw new Error(`${errorMessage(error)}\n${await story().catch(errorMessage)}\n${logs()}`, {
        cause: error,
      });
    }
  };
  const inFlight = (): Promise<UpdateRecord[]> => journal.listUpdates({ states: [...NON_TERMINAL_STATES] });

  beforeAll(async () => {
    ns = await createNamespace(kube, 'daemon-lease');
    cleanups.push(() => deleteNamespace(kube, ns));
    assetId = `k8s/${ns}/deployment/app/container/app`;
    await deployApp(ns, { 'safe-updater.io/policy': 'minor' });
    // A schema of its own, migrated here so that the two replicas do not race to create the tables.
    const store = await postgres.create();
    cleanups.push(() => store.cleanup());
    journal = await store.open();
    cleanups.push(() => journal.close());
    ws = createDaemonWorkspace([ns], {
      state: store.url,
      rollback: { timeout: '2m', monitor: '30s' },
    });
    cleanups.push(() => ws.cleanup());
  });

  afterAll(async () => {
    // Processes first, then the journal and its schema, then the namespace.
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  });

  it('only the Lease holder scans and updates; the holder is killed while verifying', async () => {
    a = replica('replica-a');
    await a.url();
    await waitFor(
      'replica A to hold the Lease',
      async () =>
        (await lease(ns))?.spec?.holderIdentity?.startsWith(identityPrefix('replica-a', a))
          ? true
          : undefined,
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    b = replica('replica-b');
    urlB = await b.url();

    interrupted = await waitFor(
      "A's update to reach verifying",
      async () => (await updates()).find((u) => u.state === 'verifying'),
      { timeoutMs: 150_000, intervalMs: 200 },
    );
    // A acts: it holds the Lease and the asset's lease (host:pid:random, src/orchestrator/asset-lease.ts).
    expect((await lease(ns))?.spec?.holderIdentity).toMatch(new RegExp(`^${identityPrefix('replica-a', a)}`));
    expect((await journal.getLease(`asset:${assetId}`))?.holder, logs()).toMatch(
      new RegExp(`^${hostname()}:${a.child.pid}:`),
    );
    expect(interrupted).toMatchObject({ fromVersion: '1.0.0', toVersion: '1.2.0', origin: 'daemon' });
    expect(await updates()).toHaveLength(1);
    expect(messages(a), logs()).toContain(`updating ${assetId} to 1.2.0`);
    // B stands by: not leading, never scanned, never started an update.
    expect(await readyLeader(urlB)).toBe(false);
    const bSaid = messages(b);
    expect(bSaid, logs()).not.toContain('became the leader');
    expect(
      bSaid.filter((m) => m.startsWith('updating ') || / check: /.test(m)),
      logs(),
    ).toEqual([]);

    a.child.kill('SIGKILL');
    killedAt = Date.now();
    expect(await waitForExit(a, 30_000)).toEqual({ code: null, signal: 'SIGKILL' });
    // The kill landed inside the update: the record is still in flight.
    expect((await journal.getUpdate(interrupted.id))?.state).toBe('verifying');
  });

  it('the other replica takes the Lease after the lease duration and settles the interrupted update', async () => {
    const takeover = await waitFor(
      'replica B to take the Lease',
      async () => {
        const spec = (await lease(ns))?.spec;
        return spec?.holderIdentity?.startsWith(identityPrefix('replica-b', b)) ? spec : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    const takeoverMs = Date.now() - killedAt;
    console.log(`Lease taken over ${takeoverMs} ms after SIGKILL of the holder`);
    // The dead holder's Lease is honoured until B has seen no renewal for its duration (B's last sight of a
    // renewal is at most one retry interval before the kill), and not held far beyond it.
    expect(takeoverMs).toBeGreaterThanOrEqual(LEASE_DURATION_MS - 2 * RENEW_INTERVAL_MS);
    expect(takeoverMs).toBeLessThan(60_000);
    expect(takeover.leaseTransitions).toBeGreaterThanOrEqual(1);

    const settled = await waitFor(
      'the interrupted record to be settled',
      async () => {
        const record = await journal.getUpdate(interrupted.id);
        return record && isTerminal(record.state) ? record : undefined;
      },
      { timeoutMs: 150_000, intervalMs: 500 },
    );
    // The image is healthy: verification finishes; a rollback would also be consistent if the
    // reconciliation chose it, as long as the Deployment says the same as the record.
    console.log(`interrupted record ${settled.state} ${Date.now() - killedAt} ms after the kill`);
    expect(['succeeded', 'rolled-back'], logs()).toContain(settled.state);
    settledState = settled.state;
    const transitions = await journal.transitions(interrupted.id);
    expect(transitions.map((t) => t.to)).toEqual(
      settled.state === 'succeeded'
        ? ['queued', 'validating', 'applying', 'verifying', 'succeeded']
        : ['queued', 'validating', 'applying', 'verifying', 'rolling-back', 'rolled-back'],
    );
    // Up to `verifying` A wrote before the kill; everything after it B wrote after the kill.
    const byA = transitions.slice(0, 4).map((t) => t.at.getTime());
    const byB = transitions.slice(4).map((t) => t.at.getTime());
    expect(Math.max(...byA)).toBeLessThan(killedAt);
    expect(Math.min(...byB)).toBeGreaterThan(killedAt);
    const bSaid = messages(b);
    expect(bSaid, logs()).toContain('became the leader');
    expect(
      bSaid.some((m) => m.startsWith(`settling interrupted update ${interrupted.id}`)),
      logs(),
    ).toBe(true);

    await waitForDeployment(ns, 'app', settled.state === 'succeeded' ? '1.2.0' : '1.0.0');

    // B's own check after the reconciliation finds nothing to do: no duplicate update of 1.2.0.
    await waitFor(
      "B's first check after taking over",
      async () => (messages(b).some((m) => m.startsWith('start check: ')) ? true : undefined),
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    const records = await updates();
    expect(
      records.map((u) => u.id),
      logs(),
    ).toEqual([interrupted.id]);
    expect(await inFlight()).toEqual([]);
    expect(await readyLeader(urlB)).toBe(true);
  }, 300_000);

  it('keeps working as the leader: a registry webhook makes it update again', async () => {
    // Someone moves the Deployment back; the interval is an hour, so only B acting on the webhook moves it on.
    await workloads(kube).patch({ kind: 'Deployment', namespace: ns, name: 'app' }, [
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: demoImage('1.0.0') },
    ]);
    await waitForDeployment(ns, 'app', '1.0.0');
    expect((await postImagePushed(urlB, demoImage('1.2.0'))).status).toBe(202);
    const second = await waitFor(
      "B's webhook-triggered update to succeed",
      async () => (await updates()).find((u) => u.id !== interrupted.id && isTerminal(u.state)),
      { timeoutMs: 150_000, intervalMs: 500 },
    );
    expect(second, logs()).toMatchObject({ fromVersion: '1.0.0', toVersion: '1.2.0', state: 'succeeded' });
    await waitForDeployment(ns, 'app', '1.2.0');
  }, 300_000);

  it('stops on SIGTERM with exit code 0, releases the Lease and leaves nothing in flight', async () => {
    b.child.kill('SIGTERM');
    expect((await waitForExit(b, 120_000)).code, logs()).toBe(0);
    expect((await lease(ns))?.spec?.holderIdentity ?? '').toBe('');
    expect(await inFlight()).toEqual([]);
    // Newest first: B's own update, then the one B settled for A.
    expect((await updates()).map((u) => u.state)).toEqual(['succeeded', settledState]);
  });
});
