/**
 * Leader election, so that of several daemon replicas only one acts (scans, updates, reconciles); the
 * others serve probes and wait. Two locks behind one interface:
 * - `KubernetesLeaseLock`: a coordination.k8s.io/v1 Lease, following client-go's leaderelection
 *   (k8s.io/client-go/tools/leaderelection): every write carries the resourceVersion it read, so two
 *   candidates never both win; a foreign holder counts as expired only after `leaseDurationSeconds` have
 *   passed on OUR clock since we last saw its record change — never by comparing its renewTime with our
 *   clock, which would make clock skew between nodes decide.
 * - `JournalLeaseLock`: the journal's lease row (Journal.tryAcquireLease), for Docker-only setups where
 *   the replicas share a PostgreSQL journal but no cluster.
 * `LeaderElector` renews the lock every `renewIntervalMs`; a leader that cannot renew within
 * `renewDeadlineMs` steps down before its lease can expire, so two leaders never overlap.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { CoordinationV1Api, V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import { ConflictError, NotFoundError, errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { callKube, type KubeClients } from '../kubernetes/client.js';
import type { Journal } from '../state/types.js';

/** A lock one candidate at a time holds. */
export interface LeaderLock {
  /** Takes the lock or renews it; true when `identity` holds it afterwards. Throws when unreachable. */
  acquireOrRenew(identity: string): Promise<boolean>;
  /** Lets go of the lock if `identity` holds it, so a successor need not wait for the expiry. */
  release(identity: string): Promise<void>;
  /** For messages: the current holder, as far as known. */
  holder(): Promise<string | undefined>;
  readonly description: string;
}

/** hostname:pid:random — unique per process, and says where the leader runs. */
export function leaderIdentity(): string {
  return `${process.env.POD_NAME ?? hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export interface KubernetesLeaseOptions {
  clients: Pick<KubeClients, 'config' | 'server'>;
  namespace: string;
  name: string;
  leaseDurationMs: number;
  clock?: Clock;
}

function time(value: Date | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}

export class KubernetesLeaseLock implements LeaderLock {
  readonly description: string;
  private readonly api: CoordinationV1Api;
  private readonly clock: Clock;
  /** The last record we saw (holder + renewTime) and when, on our clock, it last changed. */
  private observed: { key: string; at: number } | undefined;

  constructor(private readonly options: KubernetesLeaseOptions) {
    this.api = options.clients.config.makeApiClient(CoordinationV1Api);
    this.clock = options.clock ?? systemClock;
    this.description = `Lease ${options.namespace}/${options.name}`;
  }

  async acquireOrRenew(identity: string): Promise<boolean> {
    const now = this.clock.now();
    const current = await this.read();
    const durationSeconds = Math.max(1, Math.ceil(this.options.leaseDurationMs / 1000));
    if (!current) {
      return this.write('create', {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.options.name, namespace: this.options.namespace },
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: durationSeconds,
          acquireTime: new V1MicroTime(now),
          renewTime: new V1MicroTime(now),
          leaseTransitions: 0,
        },
      });
    }
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const key = `${holder}@${String(spec.renewTime)}`;
    if (this.observed?.key !== key) this.observed = { key, at: now.getTime() };
    const ours = holder === identity;
    const heldDurationMs = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    const expired = holder === '' || this.observed.at + heldDurationMs <= now.getTime();
    if (!ours && !expired) return false;
    const next: V1Lease = {
      ...current,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        renewTime: new V1MicroTime(now),
        acquireTime:
          ours && spec.acquireTime ? new V1MicroTime(time(spec.acquireTime) ?? now) : new V1MicroTime(now),
        leaseTransitions: (spec.leaseTransitions ?? 0) + (ours ? 0 : 1),
      },
    };
    return this.write('replace', next);
  }

  async release(identity: string): Promise<void> {
    const current = await this.read();
    if (current?.spec?.holderIdentity !== identity) return;
    // As client-go's ReleaseOnCancel: an empty holder that others may take at once.
    await this.write('replace', {
      ...current,
      spec: {
        ...current.spec,
        holderIdentity: '',
        leaseDurationSeconds: 1,
        renewTime: new V1MicroTime(this.clock.now()),
      },
    });
  }

  async holder(): Promise<string | undefined> {
    return (await this.read())?.spec?.holderIdentity || undefined;
  }

  private async read(): Promise<V1Lease | undefined> {
    const { namespace, name } = this.options;
    try {
      return await callKube(this.options.clients, `read ${this.description}`, () =>
        this.api.readNamespacedLease({ name, namespace }),
      );
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  /** Create or replace (with the resourceVersion read); a lost race is false, not an error. */
  private async write(how: 'create' | 'replace', body: V1Lease): Promise<boolean> {
    const { namespace, name } = this.options;
    try {
      await callKube(this.options.clients, `${how} ${this.description}`, () =>
        how === 'create'
          ? this.api.createNamespacedLease({ namespace, body })
          : this.api.replaceNamespacedLease({ name, namespace, body }),
      );
      return body.spec?.holderIdentity !== '';
    } catch (error) {
      if (error instanceof ConflictError) return false;
      throw error;
    }
  }
}

export interface JournalLeaseOptions {
  journal: Pick<Journal, 'tryAcquireLease' | 'releaseLease' | 'getLease'>;
  name?: string;
  leaseDurationMs: number;
  clock?: Clock;
}

export class JournalLeaseLock implements LeaderLock {
  readonly description: string;
  private readonly name: string;
  private readonly clock: Clock;

  constructor(private readonly options: JournalLeaseOptions) {
    this.name = options.name ?? 'leader';
    this.clock = options.clock ?? systemClock;
    this.description = `journal lease "${this.name}"`;
  }

  acquireOrRenew(identity: string): Promise<boolean> {
    return this.options.journal.tryAcquireLease(
      this.name,
      identity,
      this.options.leaseDurationMs,
      this.clock.now(),
    );
  }

  release(identity: string): Promise<void> {
    return this.options.journal.releaseLease(this.name, identity);
  }

  async holder(): Promise<string | undefined> {
    const lease = await this.options.journal.getLease(this.name);
    return lease && lease.expiresAt > this.clock.now() ? lease.holder : undefined;
  }
}

export interface LeaderElectorOptions {
  lock: LeaderLock;
  identity: string;
  /** How often the leader renews and a follower retries. client-go's defaults: 15 s lease, 10 s deadline, 2 s retry. */
  renewIntervalMs: number;
  /** A leader that has not renewed for this long steps down; must be shorter than the lease duration. */
  renewDeadlineMs: number;
  clock?: Clock;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
  logger?: Logger;
}

export class LeaderElector {
  private leading = false;
  private lastRenewal = 0;
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(private readonly options: LeaderElectorOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger();
  }

  get identity(): string {
    return this.options.identity;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** One attempt to take or renew the lock; returns whether this candidate leads afterwards. */
  async tick(): Promise<boolean> {
    const now = this.clock.now().getTime();
    let held: boolean | undefined;
    try {
      held = await this.options.lock.acquireOrRenew(this.options.identity);
    } catch (error) {
      this.logger.warn(
        { err: error, lock: this.options.lock.description },
        `leader election: ${errorMessage(error)}`,
      );
    }
    if (held === true) {
      this.lastRenewal = now;
      this.setLeading(true);
    } else if (held === false || now - this.lastRenewal >= this.options.renewDeadlineMs) {
      // Someone else holds it, or we could not renew in time: stop acting before our lease runs out.
      this.setLeading(false);
    }
    return this.leading;
  }

  /** Campaigns and renews until the signal aborts; then lets go of the lock. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.tick();
      await this.clock.sleep(this.options.renewIntervalMs, signal).catch(() => undefined);
    }
    await this.resign();
  }

  /** Steps down and releases the lock so a successor can take over at once. */
  async resign(): Promise<void> {
    const wasLeading = this.leading;
    this.setLeading(false);
    if (!wasLeading) return;
    await this.options.lock.release(this.options.identity).catch((error: unknown) => {
      this.logger.warn(
        { err: error },
        `could not release ${this.options.lock.description}: ${errorMessage(error)}`,
      );
    });
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.logger.info(
      { identity: this.options.identity, lock: this.options.lock.description },
      leading ? 'became the leader' : 'stopped leading',
    );
    if (leading) this.options.onStartedLeading?.();
    else this.options.onStoppedLeading?.();
  }
}
