/**
 * Notifications are queued, not sent: each event is written to the journal's outbox once per channel that
 * subscribes to it, redacted, in the same run that caused it. Delivery (with retries, so a webhook outage
 * loses nothing) reads the outbox later and is the daemon's business.
 */
import type { Clock } from '../core/clock.js';
import type { Journal } from '../state/types.js';
import { redact } from '../core/redact.js';

/** The events the workflow emits; channels subscribe by name. */
export const NOTIFICATION_EVENTS = [
  'update.available',
  'update.needs-approval',
  'update.started',
  'update.succeeded',
  'update.failed',
  'update.rolled-back',
  'update.rollback-failed',
  'update.loop-detected',
  'update.manual-rollback',
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export const NOTIFICATION_LEVELS = ['info', 'warning', 'error'] as const;
export type NotificationLevel = (typeof NOTIFICATION_LEVELS)[number];

/** How loud each event is; a channel's `level` is the quietest it wants. */
export const EVENT_LEVELS: Readonly<Record<NotificationEvent, NotificationLevel>> = {
  'update.available': 'info',
  'update.started': 'info',
  'update.succeeded': 'info',
  'update.needs-approval': 'warning',
  'update.failed': 'warning',
  'update.rolled-back': 'warning',
  'update.manual-rollback': 'warning',
  'update.rollback-failed': 'error',
  'update.loop-detected': 'error',
};

/** True when a channel with these filters wants this event. */
export function wants(channel: NotificationChannel, event: NotificationEvent): boolean {
  if (channel.events && channel.events.length > 0 && !channel.events.includes(event)) return false;
  const least = NOTIFICATION_LEVELS.indexOf(channel.level ?? 'info');
  return NOTIFICATION_LEVELS.indexOf(EVENT_LEVELS[event]) >= least;
}

export interface NotificationChannel {
  /** slack, discord, teams, webhook … */
  type: string;
  /** Events to send; every event when absent or empty. */
  events?: readonly string[];
  /** The quietest level sent (info: everything; warning: failures and approvals; error: a person must act). */
  level?: NotificationLevel;
}

export interface Notifier {
  notify(event: NotificationEvent, payload: Record<string, unknown>): Promise<void>;
}

export interface OutboxNotifierOptions {
  journal: Journal;
  clock: Clock;
  channels: readonly NotificationChannel[];
}

/** The name a channel has in the outbox: its type and position, never its URL (which often is the secret). */
export function channelName(channel: NotificationChannel, index: number): string {
  return `${channel.type}#${index}`;
}

export function createOutboxNotifier(options: OutboxNotifierOptions): Notifier {
  return {
    async notify(event, payload) {
      const safe = redact(payload);
      for (const [index, channel] of options.channels.entries()) {
        if (!wants(channel, event)) continue;
        await options.journal.enqueueNotification(
          channelName(channel, index),
          event,
          safe,
          options.clock.now(),
        );
      }
    },
  };
}
