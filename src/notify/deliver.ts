/**
 * Delivery of the journal's notification outbox (queued by ./notifier.ts): a webhook outage loses nothing.
 *
 * - Batching: a channel's fresh events wait `batchWindowMs` after the oldest of them was queued, so the
 *   several steps of one update run arrive as one message, not one message per step.
 * - Retries: a 5xx, 408, 429 or a network failure is retried with exponential backoff
 *   (baseMs · 2^attempts, capped at maxMs; a 429's Retry-After is honoured when longer). Another 4xx is
 *   permanent: the request will never succeed as it is, so it is parked, as is a message that failed
 *   `maxAttempts` times. The Journal contract has no dead-letter state, so parking means
 *   `nextAttemptAt = PARKED_UNTIL` with the error kept in `lastError`, visible to an operator.
 * - Secrets: the endpoint URL usually is the secret (Slack and Discord tokens sit in its path) and is never
 *   logged nor written to the journal; errors name the channel (`slack#0`) instead. Payloads are redacted
 *   again before they leave.
 */
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { redact, redactString } from '../core/redact.js';
import type { Journal, OutboxMessage } from '../state/types.js';
import { CHANNEL_FORMATS } from './channels/index.js';
import type { NotificationEntry } from './message.js';
import { parseNotificationUrl, type ChannelTarget } from './shoutrrr.js';

/** A configured channel (config.notifications[i]); its outbox name is `type#i` (./notifier.ts). */
export interface DeliveryChannel {
  type?: string;
  url: string;
  headers?: Readonly<Record<string, string>>;
}

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 5_000, maxMs: 3_600_000, maxAttempts: 20 };
export const DEFAULT_BATCH_WINDOW_MS = 2_000;
/** The moment a parked message would be tried again: never, in practice. */
export const PARKED_UNTIL = new Date('9999-12-31T00:00:00Z');

export interface DelivererOptions {
  journal: Pick<Journal, 'dueNotifications' | 'markNotification'>;
  clock: Clock;
  channels: readonly DeliveryChannel[];
  batchWindowMs?: number;
  backoff?: Partial<BackoffOptions>;
  /** Per request. */
  timeoutMs?: number;
  /** Messages read from the outbox per drain. */
  limit?: number;
  /** Pause between drains in run(). */
  pollMs?: number;
  logger?: Logger;
}

export interface DrainReport {
  delivered: number;
  retrying: number;
  parked: number;
  /** Fresh messages still inside their batch window. */
  waiting: number;
}

export interface Deliverer {
  /** Sends every batch that is due now; one request per channel. */
  drainOnce(): Promise<DrainReport>;
  /** Drains until the signal aborts. */
  run(signal: AbortSignal): Promise<void>;
}

type Attempt = { ok: true } | { ok: false; error: string; permanent: boolean; retryAfterMs?: number };

/** The index a channel has in the configuration, from its outbox name `type#index`. */
function channelIndex(name: string): number | undefined {
  const match = /#(\d+)$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

function retryAfterMs(header: string | null, now: Date): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

export function backoffDelay(attempts: number, backoff: BackoffOptions): number {
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(attempts, 30));
}

export function createDeliverer(options: DelivererOptions): Deliverer {
  const backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  const window = options.batchWindowMs ?? DEFAULT_BATCH_WINDOW_MS;
  const logger = options.logger ?? silentLogger();
  const targets = options.channels.map((channel, index): ChannelTarget | Error => {
    try {
      return parseNotificationUrl(channel.url, channel.type, `notifications[${index}]`);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  });

  async function post(name: string, target: ChannelTarget, entries: NotificationEntry[]): Promise<Attempt> {
    const channel = options.channels[channelIndex(name) ?? -1];
    const body = CHANNEL_FORMATS[target.type].render(entries, {
      ...(target.username ? { username: target.username } : {}),
    });
    let response: Response;
    try {
      response = await fetch(target.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...channel?.headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      const detail = cause ?? errorMessage(error).split(target.endpoint).join(name);
      return { ok: false, error: `${name}: ${redactString(detail)}`, permanent: false };
    }
    // The body is not needed; drain it so the connection can be reused.
    await response.arrayBuffer().catch(() => undefined);
    if (response.ok) return { ok: true };
    const transient = response.status >= 500 || response.status === 408 || response.status === 429;
    const after = retryAfterMs(response.headers.get('retry-after'), options.clock.now());
    return {
      ok: false,
      error: `${name}: HTTP ${response.status} ${response.statusText}`.trim(),
      permanent: !transient,
      ...(after !== undefined ? { retryAfterMs: after } : {}),
    };
  }

  async function record(message: OutboxMessage, attempt: Attempt, report: DrainReport): Promise<void> {
    const now = options.clock.now();
    if (attempt.ok) {
      report.delivered += 1;
      await options.journal.markNotification(message.id, { deliveredAt: now });
      return;
    }
    const exhausted = message.attempts + 1 >= backoff.maxAttempts;
    if (attempt.permanent || exhausted) {
      report.parked += 1;
      const why = attempt.permanent ? 'not retried' : `gave up after ${message.attempts + 1} attempts`;
      logger.error(
        { channel: message.channel, event: message.event },
        `notification ${why}: ${attempt.error}`,
      );
      await options.journal.markNotification(message.id, {
        error: `${attempt.error} (${why})`,
        nextAttemptAt: PARKED_UNTIL,
      });
      return;
    }
    report.retrying += 1;
    const delay = Math.max(backoffDelay(message.attempts, backoff), attempt.retryAfterMs ?? 0);
    logger.warn(
      { channel: message.channel, event: message.event, retryInMs: delay },
      `notification failed: ${attempt.error}`,
    );
    await options.journal.markNotification(message.id, {
      error: attempt.error,
      nextAttemptAt: new Date(now.getTime() + delay),
    });
  }

  async function drainOnce(): Promise<DrainReport> {
    const report: DrainReport = { delivered: 0, retrying: 0, parked: 0, waiting: 0 };
    const now = options.clock.now();
    const due = await options.journal.dueNotifications(now, options.limit ?? 100);
    const byChannel = new Map<string, OutboxMessage[]>();
    for (const message of due)
      byChannel.set(message.channel, [...(byChannel.get(message.channel) ?? []), message]);
    for (const [name, messages] of byChannel) {
      const fresh = messages.filter((message) => message.attempts === 0);
      const oldestFresh = Math.min(...fresh.map((message) => message.nextAttemptAt.getTime()));
      const ready = fresh.length < messages.length || now.getTime() - oldestFresh >= window;
      if (!ready) {
        report.waiting += messages.length;
        continue;
      }
      const target = targets[channelIndex(name) ?? -1];
      const attempt: Attempt =
        target === undefined
          ? { ok: false, error: `${name}: no such channel in the configuration`, permanent: true }
          : target instanceof Error
            ? { ok: false, error: `${name}: ${target.message}`, permanent: true }
            : await post(
                name,
                target,
                messages.map((message) => ({ event: message.event, payload: redact(message.payload) })),
              );
      for (const message of messages) await record(message, attempt, report);
    }
    return report;
  }

  return {
    drainOnce,
    async run(signal) {
      while (!signal.aborted) {
        try {
          await drainOnce();
        } catch (error) {
          logger.warn({ err: error }, 'could not read the notification outbox');
        }
        await options.clock.sleep(options.pollMs ?? 1_000, signal).catch(() => undefined);
      }
    },
  };
}
