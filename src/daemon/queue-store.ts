/**
 * The daemon's queue lives in the journal: an update the daemon decides on is written at once as a `queued`
 * record whose facts hold its queue entry (priority, namespace, dependencies, the decision and the approval
 * that let it run). The in-memory queue (src/orchestrator/queue.ts) is rebuilt from those records when a
 * process becomes leader, so a restart, a crash or a leader change loses nothing and runs nothing twice
 * (the workflow takes a record only while it is still `queued`, by compare-and-set).
 */
import type { Asset, Decision } from '../core/model.js';
import { QUEUE_FACTS_KEY, isQueueEntry } from '../orchestrator/run-update.js';
import type { QueueItem } from '../orchestrator/queue.js';
import type { UpdateRecord } from '../state/types.js';
import type { UpdateTarget } from '../updaters/types.js';

/** A queued update of the daemon; its id is the journal record's id. */
export interface DaemonItem extends QueueItem {
  asset: Asset;
  target: UpdateTarget;
  decision: Decision;
  /** The approval that let it run, when it needed one. */
  approvalId?: string;
}

/** What a queued record's facts hold under QUEUE_FACTS_KEY. */
export interface QueueEntryFacts {
  priority: number;
  namespace: string;
  dependsOn: string[];
  decision: Decision;
  approvalId?: string;
}

export function queueFacts(entry: QueueEntryFacts): Record<string, unknown> {
  return { [QUEUE_FACTS_KEY]: entry };
}

export function targetOfRecord(record: Pick<UpdateRecord, 'toVersion' | 'toDigest'>): UpdateTarget {
  return record.toDigest
    ? { version: record.toVersion, digest: record.toDigest }
    : { version: record.toVersion };
}

export function sameTarget(a: UpdateTarget, b: UpdateTarget): boolean {
  return a.version === b.version && (a.digest ?? null) === (b.digest ?? null);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((entry) => typeof entry === 'string');
}

/** The queue entry of a `queued` record, or why it cannot be one. */
export function itemFromRecord(
  record: UpdateRecord,
  snapshot: Asset | null | undefined,
): DaemonItem | string {
  if (record.state !== 'queued' || !isQueueEntry(record)) return `update ${record.id} is not a queue entry`;
  if (!snapshot) return `the journal holds no snapshot of ${record.assetId}`;
  const facts = record.facts[QUEUE_FACTS_KEY] as Partial<QueueEntryFacts>;
  const decision = facts.decision;
  if (
    typeof facts.priority !== 'number' ||
    typeof facts.namespace !== 'string' ||
    !isStringArray(facts.dependsOn) ||
    typeof decision !== 'object' ||
    !Array.isArray(decision.reasons)
  ) {
    return `update ${record.id} has an unreadable queue entry`;
  }
  const releasedAt = decision.candidate.releasedAt as Date | string | undefined;
  return {
    id: record.id,
    assetId: record.assetId,
    namespace: facts.namespace,
    priority: facts.priority,
    queuedAt: record.createdAt,
    dependsOn: facts.dependsOn,
    asset: snapshot,
    target: targetOfRecord(record),
    decision: {
      ...decision,
      candidate: {
        ...decision.candidate,
        ...(releasedAt === undefined ? {} : { releasedAt: new Date(releasedAt) }),
      },
    },
    ...(typeof facts.approvalId === 'string' ? { approvalId: facts.approvalId } : {}),
  };
}

/** One line of `safe-updater queue`: a journal record that has not finished, in the order the daemon takes it. */
export interface QueueListing {
  id: string;
  assetId: string;
  state: UpdateRecord['state'];
  from: string;
  to: string;
  priority: number | null;
  dependsOn: string[];
  queuedAt: Date;
  requestedBy: string;
  /** The asset is paused: its queued update waits for `resume`. */
  paused: boolean;
}

const PRIORITY_NAMES: Record<number, string> = { 3: 'security', 2: 'bugfix', 1: 'feature' };

export function priorityName(priority: number | null): string {
  return priority === null ? '-' : (PRIORITY_NAMES[priority] ?? String(priority));
}

/** The queue as the journal holds it: running updates first, then queued ones by priority and age. */
export function listQueue(
  records: readonly UpdateRecord[],
  pausedAssets: ReadonlySet<string>,
): { running: QueueListing[]; queued: QueueListing[] } {
  const listing = (record: UpdateRecord): QueueListing => {
    const facts = isQueueEntry(record) ? (record.facts[QUEUE_FACTS_KEY] as Partial<QueueEntryFacts>) : {};
    return {
      id: record.id,
      assetId: record.assetId,
      state: record.state,
      from: record.fromVersion,
      to: record.toVersion,
      priority: typeof facts.priority === 'number' ? facts.priority : null,
      dependsOn: isStringArray(facts.dependsOn) ? facts.dependsOn : [],
      queuedAt: record.createdAt,
      requestedBy: record.requestedBy,
      paused: pausedAssets.has(record.assetId),
    };
  };
  const queued = records
    .filter((record) => record.state === 'queued')
    .map(listing)
    .sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0) || a.queuedAt.getTime() - b.queuedAt.getTime());
  const running = records.filter((record) => record.state !== 'queued').map(listing);
  return { running, queued };
}
