/**
 * The words of a notification: one line per event, shared by every chat channel so Slack, Discord and
 * Teams say the same thing. Payloads are the workflow's (src/orchestrator/run-update.ts `announce`):
 * assetId, updateId, from, to, state, reason and event-specific extras.
 */
import { redact } from '../core/redact.js';

/** One queued event as a channel renders it. */
export interface NotificationEntry {
  event: string;
  payload: Record<string, unknown>;
}

const HEADLINES: Record<string, { icon: string; words: string }> = {
  'update.available': { icon: '🆕', words: 'update available' },
  'update.needs-approval': { icon: '✋', words: 'needs approval' },
  'update.started': { icon: '🚀', words: 'update started' },
  'update.succeeded': { icon: '✅', words: 'updated' },
  'update.failed': { icon: '❌', words: 'update failed' },
  'update.rolled-back': { icon: '↩️', words: 'rolled back' },
  'update.rollback-failed': { icon: '🚨', words: 'ROLLBACK FAILED — asset paused, needs a person' },
  'update.loop-detected': { icon: '🔁', words: 'rollback loop — asset paused' },
  'update.manual-rollback': { icon: '⏪', words: 'rolled back by hand' },
};

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** "✅ helm/default/web 1.0.0 → 1.1.0: updated" plus the reason when there is one. */
export function describeEntry(entry: NotificationEntry): string {
  const payload = redact(entry.payload);
  const headline = HEADLINES[entry.event] ?? { icon: 'ℹ️', words: entry.event };
  const asset = text(payload.assetId) ?? 'safe-updater';
  const from = text(payload.from);
  const to = text(payload.to);
  const versions = from && to ? ` ${from} → ${to}` : to ? ` → ${to}` : '';
  const reason = text(payload.reason);
  return `${headline.icon} ${asset}${versions}: ${headline.words}${reason ? ` (${reason})` : ''}`;
}

/** A title for a batch: the single event's words, or how many events it holds. */
export function describeBatch(entries: readonly NotificationEntry[]): string {
  if (entries.length === 1 && entries[0]) return describeEntry(entries[0]);
  return `safe-updater: ${entries.length} events`;
}
