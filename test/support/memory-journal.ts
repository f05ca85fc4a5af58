/**
 * An in-memory Journal for unit tests of the pure workflow logic (src/orchestrator): it keeps the
 * contract's rules that the workflow relies on — compare-and-set transitions that refuse illegal moves,
 * facts merged with a transition, leases with expiry — and nothing else.
 */
import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '../../src/core/errors.js';
import type { Asset } from '../../src/core/model.js';
import { canTransition, type UpdateState } from '../../src/core/update-state.js';
import type {
  Approval,
  ApprovalState,
  AssetRow,
  AuditEvent,
  FailedVersion,
  Journal,
  Lease,
  NewUpdate,
  OutboxMessage,
  Transition,
  TransitionOptions,
  UpdateRecord,
} from '../../src/state/types.js';
import type { Clock } from '../../src/core/clock.js';

export class MemoryJournal implements Journal {
  readonly dialect = 'sqlite' as const;
  readonly records = new Map<string, UpdateRecord>();
  readonly transitionLog: Transition[] = [];
  readonly auditLog: AuditEvent[] = [];
  readonly outbox: OutboxMessage[] = [];
  private readonly assets = new Map<string, AssetRow>();
  private readonly failed: FailedVersion[] = [];
  private readonly leases = new Map<string, Lease>();
  private readonly approvals = new Map<string, Approval>();

  constructor(private readonly clock: Clock) {}

  async migrate(): Promise<void> {}
  async close(): Promise<void> {}

  async upsertAssets(assets: Asset[], seenAt: Date): Promise<void> {
    for (const asset of assets) {
      const existing = this.assets.get(asset.id);
      this.assets.set(asset.id, {
        id: asset.id,
        kind: asset.kind,
        name: asset.name,
        namespace: asset.namespace,
        paused: existing?.paused ?? false,
        pausedReason: existing?.pausedReason ?? null,
        lastSeenAt: seenAt,
        snapshot: structuredClone(asset),
      });
    }
  }
  async getAsset(id: string): Promise<AssetRow | undefined> {
    return this.assets.get(id);
  }
  async listAssets(): Promise<AssetRow[]> {
    return [...this.assets.values()];
  }
  async setPaused(assetId: string, paused: boolean, reason: string | null): Promise<void> {
    const row = this.assets.get(assetId);
    if (!row) throw new NotFoundError(`no asset ${assetId}`);
    this.assets.set(assetId, { ...row, paused, pausedReason: paused ? reason : null });
  }

  async createUpdate(update: NewUpdate): Promise<UpdateRecord> {
    const now = this.clock.now();
    const record: UpdateRecord = {
      id: randomUUID(),
      assetId: update.assetId,
      assetKind: update.assetKind,
      fromVersion: update.fromVersion,
      fromDigest: update.fromDigest ?? null,
      toVersion: update.toVersion,
      toDigest: update.toDigest ?? null,
      state: update.state ?? 'queued',
      origin: update.origin,
      requestedBy: update.requestedBy,
      reason: null,
      facts: {},
      createdAt: now,
      updatedAt: now,
    };
    this.records.set(record.id, record);
    this.transitionLog.push({ updateId: record.id, from: null, to: record.state, at: now, message: null });
    return { ...record };
  }
  async transition(
    id: string,
    from: UpdateState,
    to: UpdateState,
    options: TransitionOptions = {},
  ): Promise<UpdateRecord> {
    const record = this.records.get(id);
    if (!record) throw new NotFoundError(`no update ${id}`);
    if (record.state !== from || !canTransition(from, to)) {
      throw new ConflictError(`update ${id} is ${record.state}, cannot move ${from} → ${to}`);
    }
    const now = this.clock.now();
    const next: UpdateRecord = {
      ...record,
      state: to,
      reason: options.reason ?? record.reason,
      facts: { ...record.facts, ...(options.facts ?? {}) },
      updatedAt: now,
    };
    this.records.set(id, next);
    this.transitionLog.push({ updateId: id, from, to, at: now, message: options.message ?? null });
    return { ...next };
  }
  async getUpdate(id: string): Promise<UpdateRecord | undefined> {
    const record = this.records.get(id);
    return record ? { ...record } : undefined;
  }
  async listUpdates(
    filter: { assetId?: string; states?: UpdateState[]; limit?: number } = {},
  ): Promise<UpdateRecord[]> {
    return [...this.records.values()]
      .filter((r) => (filter.assetId ? r.assetId === filter.assetId : true))
      .filter((r) => (filter.states ? filter.states.includes(r.state) : true))
      .reverse()
      .slice(0, filter.limit ?? Infinity)
      .map((r) => ({ ...r }));
  }
  async latestUpdatePerAsset(): Promise<Map<string, UpdateRecord>> {
    const latest = new Map<string, UpdateRecord>();
    for (const record of this.records.values()) latest.set(record.assetId, { ...record });
    return latest;
  }
  async transitions(updateId: string): Promise<Transition[]> {
    return this.transitionLog.filter((t) => t.updateId === updateId);
  }

  async rememberFailedVersion(entry: FailedVersion): Promise<void> {
    this.failed.push(entry);
  }
  async failedVersions(assetId: string): Promise<FailedVersion[]> {
    return this.failed.filter((f) => f.assetId === assetId);
  }
  async forgetFailedVersions(assetId: string): Promise<number> {
    const before = this.failed.length;
    this.failed.splice(0, this.failed.length, ...this.failed.filter((f) => f.assetId !== assetId));
    return before - this.failed.length;
  }
  async countRollbacksSince(assetId: string, since: Date): Promise<number> {
    return this.transitionLog.filter(
      (t) => t.to === 'rolled-back' && t.at >= since && this.records.get(t.updateId)?.assetId === assetId,
    ).length;
  }

  async audit(event: AuditEvent): Promise<void> {
    this.auditLog.push({ ...event, id: this.auditLog.length + 1 });
  }
  async auditEvents(
    filter: { assetId?: string; updateId?: string; limit?: number } = {},
  ): Promise<AuditEvent[]> {
    return this.auditLog
      .filter((e) => (filter.assetId ? e.assetId === filter.assetId : true))
      .filter((e) => (filter.updateId ? e.updateId === filter.updateId : true))
      .slice(0, filter.limit ?? Infinity);
  }

  async createApproval(
    approval: Omit<Approval, 'state' | 'decidedBy' | 'decidedAt' | 'comment'>,
  ): Promise<Approval> {
    const created: Approval = {
      ...approval,
      state: 'pending',
      decidedBy: null,
      decidedAt: null,
      comment: null,
    };
    this.approvals.set(created.id, created);
    return created;
  }
  async decideApproval(
    id: string,
    state: 'approved' | 'rejected' | 'expired',
    actor: string,
    comment?: string,
  ): Promise<Approval> {
    const approval = this.approvals.get(id);
    if (!approval) throw new NotFoundError(`no approval ${id}`);
    const decided = {
      ...approval,
      state,
      decidedBy: actor,
      decidedAt: this.clock.now(),
      comment: comment ?? null,
    };
    this.approvals.set(id, decided);
    return decided;
  }
  async listApprovals(filter: { assetId?: string; state?: ApprovalState } = {}): Promise<Approval[]> {
    return [...this.approvals.values()].filter(
      (a) => (!filter.assetId || a.assetId === filter.assetId) && (!filter.state || a.state === filter.state),
    );
  }

  async enqueueNotification(
    channel: string,
    event: string,
    payload: Record<string, unknown>,
    at: Date,
  ): Promise<void> {
    this.outbox.push({
      id: this.outbox.length + 1,
      channel,
      event,
      payload,
      attempts: 0,
      nextAttemptAt: at,
      deliveredAt: null,
      lastError: null,
    });
  }
  async dueNotifications(now: Date, limit: number): Promise<OutboxMessage[]> {
    return this.outbox.filter((m) => !m.deliveredAt && m.nextAttemptAt <= now).slice(0, limit);
  }
  async markNotification(
    id: number,
    result: { deliveredAt?: Date; error?: string; nextAttemptAt?: Date },
  ): Promise<void> {
    const message = this.outbox.find((m) => m.id === id);
    if (!message) return;
    message.attempts += 1;
    message.deliveredAt = result.deliveredAt ?? null;
    message.lastError = result.error ?? null;
    if (result.nextAttemptAt) message.nextAttemptAt = result.nextAttemptAt;
  }

  async tryAcquireLease(name: string, holder: string, ttlMs: number, now: Date): Promise<boolean> {
    const current = this.leases.get(name);
    if (current && current.holder !== holder && current.expiresAt > now) return false;
    this.leases.set(name, { name, holder, expiresAt: new Date(now.getTime() + ttlMs) });
    return true;
  }
  async releaseLease(name: string, holder: string): Promise<void> {
    if (this.leases.get(name)?.holder === holder) this.leases.delete(name);
  }
  async getLease(name: string): Promise<Lease | undefined> {
    return this.leases.get(name);
  }
}
