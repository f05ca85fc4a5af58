/** `approve` and `reject` share one shape: decide a pending approval by its id, audited in the journal. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { formatTime } from '../output.js';
import { addExamples } from '../help.js';

export interface DecideOptions {
  comment?: string;
}

export function registerDecision(program: Command, ctx: CliContext, verb: 'approve' | 'reject'): void {
  const state = verb === 'approve' ? 'approved' : 'rejected';
  const command = program
    .command(verb)
    .description(
      verb === 'approve'
        ? 'approve a pending update (one that policy holds for approval), so it may run'
        : 'reject a pending update, so it does not run',
    )
    .argument('<id>', 'approval id, as `safe-updater plan` and `status` show it')
    .option('-m, --comment <text>', 'why, kept in the audit trail')
    .action(async (id: string, options: DecideOptions) => {
      const journal = await ctx.journal();
      const approval = await journal.decideApproval(id, state, ctx.actor, options.comment);
      ctx.print(
        `${state} ${approval.id}: ${approval.assetId} → ${approval.toVersion} (by ${approval.decidedBy ?? ctx.actor} at ${formatTime(approval.decidedAt)})`,
        { approval },
      );
    });
  addExamples(command, [
    [`safe-updater ${verb} 7f3c2a`, `${verb} approval 7f3c2a`],
    [`safe-updater ${verb} 7f3c2a -m "ticket OPS-42"`, 'with a comment for the audit trail'],
  ]);
}
