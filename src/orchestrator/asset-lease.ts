/**
 * The per-asset lease: one update per asset at a time, across processes and replicas (the journal holds
 * it). It is renewed while held, so a live holder never loses it; a holder that died stops renewing and
 * its lease expires. A holder on this very host whose process is gone is known dead at once, so a
 * restarted CLI need not wait for the expiry before it settles what the dead one left.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { ConflictError } from '../core/errors.js';
import type { Journal } from '../state/types.js';
import type { Clock } from '../core/clock.js';

export const DEFAULT_LEASE_TTL_MS = 30_000;

export function assetLeaseName(assetId: string): string {
  return `asset:${assetId}`;
}

/** A holder name that says where it lives: host:pid:random. */
export function processHolder(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/** True when `holder` is a process of this host that no longer runs. */
export function isHolderGone(holder: string): boolean {
  const [host, pidText] = holder.split(':');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export interface LeaseOptions {
  journal: Journal;
  clock: Clock;
  holder: string;
  ttlMs?: number;
}

/** Takes the lease, also from a dead holder on this host; false when a live process holds it. */
export async function tryTakeAssetLease(options: LeaseOptions, assetId: string): Promise<boolean> {
  const name = assetLeaseName(assetId);
  const ttl = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  if (await options.journal.tryAcquireLease(name, options.holder, ttl, options.clock.now())) return true;
  const current = await options.journal.getLease(name);
  if (!current || !isHolderGone(current.holder)) return false;
  await options.journal.releaseLease(name, current.holder);
  return options.journal.tryAcquireLease(name, options.holder, ttl, options.clock.now());
}

/** Runs `fn` holding the asset's lease, renewing it meanwhile; ConflictError when another process holds it. */
export async function withAssetLease<T>(
  options: LeaseOptions,
  assetId: string,
  fn: () => Promise<T>,
): Promise<T> {
  if (!(await tryTakeAssetLease(options, assetId))) {
    const lease = await options.journal.getLease(assetLeaseName(assetId));
    throw new ConflictError(
      `${assetId} is being updated by another safe-updater process (${lease?.holder ?? 'unknown'})`,
      {
        hint: 'wait for it to finish, or see `safe-updater history ' + assetId + '`',
      },
    );
  }
  return holdingLease(options, assetId, fn);
}

/** Renews an already taken lease while `fn` runs and releases it afterwards. */
export async function holdingLease<T>(
  options: LeaseOptions,
  assetId: string,
  fn: () => Promise<T>,
): Promise<T> {
  const name = assetLeaseName(assetId);
  const ttl = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const timer = setInterval(
    () => {
      options.journal.tryAcquireLease(name, options.holder, ttl, options.clock.now()).catch(() => undefined);
    },
    Math.max(1_000, Math.floor(ttl / 3)),
  );
  timer.unref();
  try {
    return await fn();
  } finally {
    clearInterval(timer);
    await options.journal.releaseLease(name, options.holder).catch(() => undefined);
  }
}
