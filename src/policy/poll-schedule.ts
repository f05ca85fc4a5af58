/**
 * How often an asset is looked up, when it should not follow the daemon's interval (`watch.interval`):
 * Keel's `keel.sh/pollSchedule` annotation, ours `safe-updater.io/poll-schedule`, or a policy's `schedule`.
 * Accepted forms: `@every 10m` (Keel's), a bare duration `10m`, a cron expression (`*\/15 * * * *`, croner:
 * 5 or 6 fields, `@hourly`, `@daily`, …) in UTC or the policy's `timezone`.
 */
import { Cron } from 'croner';
import { parseDuration } from '../config/duration.js';
import { ConfigError, errorMessage } from '../core/errors.js';
import type { Asset } from '../core/model.js';

export const POLL_SCHEDULE_KEYS = ['safe-updater.io/poll-schedule', 'keel.sh/pollSchedule'] as const;

export interface PollSchedule {
  text: string;
  /** The next check after a check at `after`. */
  next(after: Date): Date;
}

/** Throws ConfigError naming `where` for a schedule that is neither a duration nor a cron expression. */
export function parsePollSchedule(text: string, where: string, timezone = 'UTC'): PollSchedule {
  const trimmed = text.trim();
  const every = /^(?:@every\s+)?(\d+(?:\.\d+)?(?:ms|s|m|h|d)(?:\d+(?:ms|s|m|h|d))*)$/.exec(trimmed)?.[1];
  if (every !== undefined) {
    let ms: number;
    try {
      ms = parseDuration(every);
    } catch (error) {
      throw new ConfigError(`${where}: poll schedule '${text}': ${errorMessage(error)}`);
    }
    if (ms < 1_000) throw new ConfigError(`${where}: poll schedule '${text}' is shorter than 1s`);
    return { text: trimmed, next: (after) => new Date(after.getTime() + ms) };
  }
  let cron: Cron;
  try {
    cron = new Cron(trimmed, { timezone, paused: true });
  } catch (error) {
    throw new ConfigError(
      `${where}: poll schedule '${text}' is neither a duration (@every 10m, 10m) nor a cron expression: ${errorMessage(error)}`,
    );
  }
  return {
    text: trimmed,
    // A cron that never fires again checks once a day rather than never.
    next: (after) => cron.nextRun(after) ?? new Date(after.getTime() + 86_400_000),
  };
}

/** The asset's own poll schedule from its annotations or labels; undefined when it has none. */
export function annotatedPollSchedule(asset: Asset): PollSchedule | undefined {
  for (const key of POLL_SCHEDULE_KEYS) {
    const value = asset.annotations[key] ?? asset.labels[key];
    if (value !== undefined && value.trim() !== '') {
      return parsePollSchedule(value, `asset ${asset.id}: annotation ${key}`);
    }
  }
  return undefined;
}
