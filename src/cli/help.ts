/** Shared pieces of `--help` text and option parsing for the commands. */
import { InvalidArgumentError, type Command } from 'commander';
import { tryParseDuration } from '../config/duration.js';

export const EXIT_CODES_HELP = `
Exit codes:
  0   ok
  1   failed
  2   usage or configuration error
  3   update failed verification and was rolled back
  4   blocked by policy or waiting for approval
  5   external system unavailable (registry, Kubernetes, Docker, database)
  6   rollback failed (asset paused)
  7   conflict (another update holds the asset)
  8   not found
  9   timed out
  10  not built yet

Environment:
  SAFE_UPDATER_CONFIG     configuration file (like --config)
  SAFE_UPDATER_STATE      journal URL (like --state)
  SAFE_UPDATER_LOG_LEVEL  log level (like --log-level)
`;

/** Appends an "Examples:" section to a command's help. */
export function addExamples(command: Command, examples: readonly [string, string][]): Command {
  const width = Math.max(...examples.map(([line]) => line.length));
  const text = examples.map(([line, what]) => `  $ ${line.padEnd(width)}  # ${what}`).join('\n');
  return command.addHelpText('after', `\nExamples:\n${text}\n`);
}

/** commander parser for a non-negative integer option. */
export function parseInteger(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number.');
  return Number(value);
}

/** commander parser for a timeout: whole seconds (`300`, as in the seed plan) or a duration (`5m`); gives seconds. */
export function parseTimeoutSeconds(value: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const ms = tryParseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError('expected seconds (300) or a duration (5m, 90s).');
  return Math.ceil(ms / 1000);
}

/** commander parser for a duration option such as `30s`; gives milliseconds. */
export function parseDurationOption(value: string): number {
  const ms = tryParseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError('expected a duration such as 30s, 5m or 1h.');
  return ms;
}
