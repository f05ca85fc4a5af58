/**
 * Start-up reconciliation: every record left in a non-terminal state (a killed process, `--no-wait`) whose
 * asset lease is free is settled against the live asset: verification finished, or the change rolled back
 * (./run-update.ts decides each state through updater.locate). Records whose lease a live process holds
 * are that process's business and are skipped, and so are the records waiting in the daemon's queue (the
 * queue lives in the journal; the daemon takes them up again when it starts).
 */
import { errorMessage } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { isTerminal } from '../core/update-state.js';
import type { ProgressReporter } from '../updaters/types.js';
import { holdingLease, tryTakeAssetLease } from './asset-lease.js';
import type { UpdateRecord } from '../state/types.js';
import {
  NON_TERMINAL_STATES,
  isQueueEntry,
  resumeUpdate,
  type UpdateResult,
  type WorkflowDeps,
} from './run-update.js';

/** Why an entry was skipped when a live (or not yet expired) holder has the asset's lease. */
export const LEASE_HELD = 'another safe-updater process holds the asset';

export interface ReconcileOptions {
  /** Only this asset's records. */
  assetId?: string;
  /** Verification and rollback deadline for each settled record. */
  timeoutMs: number;
  signal?: AbortSignal;
  progress?: ProgressReporter;
  /** Records to leave alone, with why (the daemon's own running updates). */
  leave?: (record: UpdateRecord) => string | undefined;
}

export interface ReconcileEntry {
  updateId: string;
  assetId: string;
  /** The state the record was found in. */
  found: string;
  result?: UpdateResult;
  /** Why it was left alone (lease held, asset unknown, …). */
  skipped?: string;
}

export async function reconcile(deps: WorkflowDeps, options: ReconcileOptions): Promise<ReconcileEntry[]> {
  const log = deps.logger ?? silentLogger();
  const open = await deps.journal.listUpdates({
    states: [...NON_TERMINAL_STATES],
    ...(options.assetId ? { assetId: options.assetId } : {}),
  });
  const entries: ReconcileEntry[] = [];
  const leaseOptions = { ...deps, ttlMs: deps.leaseTtlMs };
  for (const found of open.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())) {
    const entry: ReconcileEntry = { updateId: found.id, assetId: found.assetId, found: found.state };
    entries.push(entry);
    const leave =
      found.state === 'queued' && isQueueEntry(found)
        ? "waiting in the daemon's queue"
        : options.leave?.(found);
    if (leave) {
      entry.skipped = leave;
      continue;
    }
    if (!(await tryTakeAssetLease(leaseOptions, found.assetId))) {
      entry.skipped = LEASE_HELD;
      continue;
    }
    try {
      entry.result = await holdingLease(leaseOptions, found.assetId, async () => {
        // Re-read under the lease: the process that held it may have finished meanwhile.
        const record = await deps.journal.getUpdate(found.id);
        if (!record || isTerminal(record.state)) return undefined;
        const snapshot = (await deps.journal.getAsset(record.assetId))?.snapshot;
        if (!snapshot) throw new Error(`no snapshot of ${record.assetId} in the journal`);
        const updater = deps.updaters.get(record.assetKind);
        const asset = await updater.refresh(snapshot);
        options.progress?.(`settling interrupted update ${record.id} of ${record.assetId} (${record.state})`);
        return resumeUpdate(deps, record, asset, options);
      });
      if (!entry.result) entry.skipped = 'finished by its own process meanwhile';
    } catch (error) {
      if (options.signal?.aborted) throw error;
      entry.skipped = `could not be settled: ${errorMessage(error)}`;
      log.error({ err: error, updateId: found.id, assetId: found.assetId }, 'reconciliation failed');
    }
  }
  return entries;
}
