/** `safe-updater history <asset>`: the updates of an asset and every transition, from the journal. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { addExamples, parseInteger } from '../help.js';

export interface HistoryOptions {
  limit: number;
}

export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('history')
    .description('show the updates of an asset, newest first, with each state change')
    .argument('<asset>', 'asset id, e.g. helm/default/web')
    .option('--limit <number>', 'how many updates', parseInteger, 20)
    .action(async (asset: string, options: HistoryOptions) => {
      const { runHistoryCommand } = await import('../workflow-actions.js');
      await runHistoryCommand(ctx, asset, options);
    });
  addExamples(command, [
    ['safe-updater history helm/default/web', 'the last 20 updates'],
    ['safe-updater history docker/local/api --limit 5 --output json', 'as JSON'],
  ]);
}
