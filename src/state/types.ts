/**
 * The journal's contract: one implementation (src/state/journal.ts, kysely) over SQLite or PostgreSQL.
 * Every state change of an update is written here before the action it announces.
 */
import type { Asset, AssetKind } from '../core/model.js';
import type { UpdateState } from '../core/update-state.js';

export type UpdateOrigin = 'cli' | 'daemon' | 'api' | 'reconcile';

export interface UpdateRecord {
  id: string;
  assetId: string;
  assetKind: AssetKind;
  fromVersion: string;
  fromDigest: string | null;
  toVersion: string;
  toDigest: string | null;
  state: UpdateState;
  origin: UpdateOrigin;
  /** Who or what asked for it (user name, "daemon", "api:token-name"). */
  requestedBy: string;
  /** Why it failed / rolled back, in one line; the health signal when there is one. */
  reason: string | null;
  /**
   * What the updater needs to undo the change, journaled with the transition to `applying`
   * (e.g. { revision: 3 } for Helm, { image: 'app:1.0.0', generation: 4 } for a workload).
   */
  facts: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export interface Transition {
  updateId: string;
  from: UpdateState | null;
  to: UpdateState;
  at: Date;
  message: string | null;
}

export interface AuditEvent {
  id?: number;
  at: Date;
  assetId: string | null;
  updateId: string | null;
  /** e.g. update.started, update.succeeded, update.rolled-back, asset.paused, approval.granted */
  type: string;
  actor: string;
  /** Free-form details; redacted before they are written. */
  data: Record<string, unknown>;
}

export interface AssetRow {
  id: string;
  kind: AssetKind;
  name: string;
  namespace: string;
  paused: boolean;
  pausedReason: string | null;
  lastSeenAt: Date | null;
  /** The last discovered shape of the asset (for status without a fresh scan). */
  snapshot: Asset | null;
}

export interface FailedVersion {
  assetId: string;
  version: string;
  digest: string | null;
  reason: string;
  at: Date;
}

export type ApprovalState = 'pending' | 'approved' | 'rejected' | 'expired';

export interface Approval {
  id: string;
  assetId: string;
  toVersion: string;
  state: ApprovalState;
  requestedAt: Date;
  deadline: Date | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  comment: string | null;
}

export interface OutboxMessage {
  id: number;
  channel: string;
  event: string;
  payload: Record<string, unknown>;
  attempts: number;
  nextAttemptAt: Date;
  deliveredAt: Date | null;
  lastError: string | null;
}

export interface NewUpdate {
  assetId: string;
  assetKind: AssetKind;
  fromVersion: string;
  fromDigest?: string | null;
  toVersion: string;
  toDigest?: string | null;
  origin: UpdateOrigin;
  requestedBy: string;
  /** Initial state; 'queued' unless stated. */
  state?: UpdateState;
  /** Initial facts (the daemon's queue entry: priority, dependencies, decision). */
  facts?: Record<string, unknown>;
}

export interface TransitionOptions {
  message?: string;
  reason?: string;
  /** Merged into the record's facts in the same transaction. */
  facts?: Record<string, unknown>;
}

/** A lease held by one process on a name (an asset id, "leader"). */
export interface Lease {
  name: string;
  holder: string;
  expiresAt: Date;
}

export interface Journal {
  /** Dialect in use, for messages. */
  readonly dialect: 'sqlite' | 'postgres';
  migrate(): Promise<void>;
  close(): Promise<void>;

  upsertAssets(assets: Asset[], seenAt: Date): Promise<void>;
  getAsset(id: string): Promise<AssetRow | undefined>;
  listAssets(): Promise<AssetRow[]>;
  setPaused(assetId: string, paused: boolean, reason: string | null, actor: string): Promise<void>;

  createUpdate(update: NewUpdate): Promise<UpdateRecord>;
  /** Compare-and-set: refuses (ConflictError) when the record is not in `from`, or the move is illegal. */
  transition(
    id: string,
    from: UpdateState,
    to: UpdateState,
    options?: TransitionOptions,
  ): Promise<UpdateRecord>;
  getUpdate(id: string): Promise<UpdateRecord | undefined>;
  listUpdates(filter?: { assetId?: string; states?: UpdateState[]; limit?: number }): Promise<UpdateRecord[]>;
  /** The newest record of each asset, in one query. */
  latestUpdatePerAsset(): Promise<Map<string, UpdateRecord>>;
  transitions(updateId: string): Promise<Transition[]>;

  rememberFailedVersion(entry: FailedVersion): Promise<void>;
  failedVersions(assetId: string): Promise<FailedVersion[]>;
  forgetFailedVersions(assetId: string): Promise<number>;
  /** Rollbacks (automatic) of an asset since a moment, for loop detection. */
  countRollbacksSince(assetId: string, since: Date): Promise<number>;

  audit(event: AuditEvent): Promise<void>;
  auditEvents(filter?: { assetId?: string; updateId?: string; limit?: number }): Promise<AuditEvent[]>;

  createApproval(
    approval: Omit<Approval, 'state' | 'decidedBy' | 'decidedAt' | 'comment'>,
  ): Promise<Approval>;
  decideApproval(
    id: string,
    state: 'approved' | 'rejected' | 'expired',
    actor: string,
    comment?: string,
  ): Promise<Approval>;
  listApprovals(filter?: { assetId?: string; state?: ApprovalState }): Promise<Approval[]>;

  enqueueNotification(
    channel: string,
    event: string,
    payload: Record<string, unknown>,
    at: Date,
  ): Promise<void>;
  dueNotifications(now: Date, limit: number): Promise<OutboxMessage[]>;
  markNotification(
    id: number,
    result: { deliveredAt?: Date; error?: string; nextAttemptAt?: Date },
  ): Promise<void>;

  /** Takes or renews the lease when free, expired or already ours; false when someone else holds it. */
  tryAcquireLease(name: string, holder: string, ttlMs: number, now: Date): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
  getLease(name: string): Promise<Lease | undefined>;
}
