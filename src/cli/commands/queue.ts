/** `safe-updater queue`: the daemon's queue as the journal holds it (running, then queued in start order). */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { addExamples } from '../help.js';
import { formatTime, type TextTable } from '../output.js';

export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('queue')
    .description('show updates that are running or queued, in the order the daemon starts them')
    .action(async () => {
      const journal = await ctx.journal();
      const [{ listQueue, priorityName }, { NON_TERMINAL_STATES }] = await Promise.all([
        import('../../daemon/queue-store.js'),
        import('../../orchestrator/run-update.js'),
      ]);
      const [records, assets] = await Promise.all([
        journal.listUpdates({ states: [...NON_TERMINAL_STATES] }),
        journal.listAssets(),
      ]);
      const paused = new Set(assets.filter((asset) => asset.paused).map((asset) => asset.id));
      const queue = listQueue(records, paused);
      const rows = [...queue.running, ...queue.queued].map((entry) => [
        entry.id,
        entry.assetId,
        `${entry.from} → ${entry.to}`,
        entry.state === 'queued' && entry.paused ? 'queued (asset paused)' : entry.state,
        priorityName(entry.priority),
        entry.dependsOn.join(', ') || '-',
        formatTime(entry.queuedAt),
      ]);
      const table: TextTable = {
        headers: ['update', 'asset', 'change', 'state', 'priority', 'after', 'queued at'],
        rows,
        footer: `${queue.running.length} running, ${queue.queued.length} queued`,
      };
      ctx.print(table, queue);
    });
  addExamples(command, [
    ['safe-updater queue', 'what runs now and what comes next'],
    ['safe-updater cancel ID', 'take a queued update out'],
  ]);
}
