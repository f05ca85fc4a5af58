/** `safe-updater watch`: the daemon — scan, plan and update on an interval. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { addExamples, parseDurationOption } from '../help.js';
import { notBuilt } from '../not-built.js';

export interface WatchOptions {
  /** Milliseconds; default: the configuration's orchestrator.interval. */
  interval?: number;
  once?: boolean;
}

export function register(program: Command, _ctx: CliContext): void {
  const command = program
    .command('watch')
    .description('run as a daemon: look for updates on an interval and apply them by policy')
    .option(
      '--interval <duration>',
      'time between rounds (default: orchestrator.interval)',
      parseDurationOption,
    )
    .option('--once', 'run one round and exit')
    .action(async (_options: WatchOptions) => {
      notBuilt('watch', 'the update daemon is on its way');
    });
  addExamples(command, [
    ['safe-updater watch', 'run until stopped'],
    ['safe-updater watch --interval 1m', 'a round every minute'],
    ['safe-updater watch --once', 'one round, then exit'],
  ]);
}
