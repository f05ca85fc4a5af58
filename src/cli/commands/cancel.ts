/** `safe-updater cancel <update-id>`: take a queued update out of the daemon's queue (it lives in the journal). */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { addExamples } from '../help.js';

export interface CancelOptions {
  reason?: string;
}

export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('cancel')
    .description(
      "take a queued update out of the daemon's queue; running updates end verified or rolled back",
    )
    .argument('<update-id>', 'the update id, as `history` and GET /api/v1/queue show it')
    .option('-m, --reason <text>', 'why, kept in the journal and the audit trail')
    .action(async (id: string, options: CancelOptions) => {
      const journal = await ctx.journal();
      const { cancelQueuedUpdate } = await import('../../orchestrator/run-update.js');
      const update = await cancelQueuedUpdate(journal, ctx.clock, id, ctx.actor, options.reason);
      ctx.print(`cancelled ${update.id}: ${update.assetId} ${update.fromVersion} → ${update.toVersion}`, {
        update,
      });
    });
  addExamples(command, [
    ['safe-updater cancel 5d0c…', 'the daemon does not run this update'],
    ['safe-updater pause k8s/prod/deployment/web', 'stop the next updates of an asset as well'],
  ]);
}
