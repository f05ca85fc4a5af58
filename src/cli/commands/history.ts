/** `safe-updater history <asset>`: the updates of an asset and every transition, from the journal. */
import type { Command } from 'commander';
import { NotFoundError } from '../../core/errors.js';
import { reconcile } from '../../orchestrator/reconcile.js';
import { NON_TERMINAL_STATES } from '../../orchestrator/run-update.js';
import type { CliContext } from '../context.js';
import { addExamples, parseInteger } from '../help.js';
import { formatTime } from '../output.js';
import { progressReporter } from '../progress.js';

export interface HistoryOptions {
  limit: number;
}

/** Settling interrupted records first means the history shows what really happened, not a stale state. */
const RECONCILE_TIMEOUT_MS = 5 * 60_000;

async function runHistoryCommand(ctx: CliContext, assetId: string, options: HistoryOptions): Promise<void> {
  const { openPipeline } = await import('../pipeline.js');
  const pipeline = await openPipeline(ctx);
  const journal = pipeline.journal;
  const open = await journal.listUpdates({ assetId, states: [...NON_TERMINAL_STATES] });
  if (open.length > 0)
    await reconcile(pipeline.workflow(), {
      assetId,
      timeoutMs: RECONCILE_TIMEOUT_MS,
      progress: progressReporter(ctx),
    });

  const [row, updates, failed] = await Promise.all([
    journal.getAsset(assetId),
    journal.listUpdates({ assetId, limit: options.limit }),
    journal.failedVersions(assetId),
  ]);
  if (!row && updates.length === 0) {
    throw new NotFoundError(`the journal knows no asset ${assetId}`, {
      hint: '`safe-updater scan` records what runs',
    });
  }
  const withTransitions = await Promise.all(
    updates.map(async (update) => ({ ...update, transitions: await journal.transitions(update.id) })),
  );

  const lines: string[] = [`${assetId}${row?.paused ? ` (paused: ${row.pausedReason ?? 'no reason'})` : ''}`];
  if (withTransitions.length === 0) lines.push('  no updates recorded');
  for (const update of withTransitions) {
    lines.push(
      '',
      `${formatTime(update.createdAt)}  ${update.fromVersion} → ${update.toVersion}  ${update.state}  (${update.origin}, ${update.requestedBy}, ${update.id})`,
    );
    if (update.reason) lines.push(`  reason: ${update.reason}`);
    for (const t of update.transitions) {
      lines.push(`  ${formatTime(t.at)}  ${t.from ?? '-'} → ${t.to}${t.message ? `  ${t.message}` : ''}`);
    }
  }
  if (failed.length > 0) {
    lines.push('', 'versions not retried automatically:');
    for (const f of failed) lines.push(`  ${f.version}  ${formatTime(f.at)}  ${f.reason}`);
  }
  ctx.print(lines.join('\n'), {
    assetId,
    paused: row?.paused ?? false,
    pausedReason: row?.pausedReason ?? null,
    updates: withTransitions,
    failedVersions: failed,
  });
}

export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('history')
    .description('show the updates of an asset, newest first, with each state change')
    .argument('<asset>', 'asset id, e.g. helm/default/web')
    .option('--limit <number>', 'how many updates', parseInteger, 20)
    .action((asset: string, options: HistoryOptions) => runHistoryCommand(ctx, asset, options));
  addExamples(command, [
    ['safe-updater history helm/default/web', 'the last 20 updates'],
    ['safe-updater history docker/local/api --limit 5 --output json', 'as JSON'],
  ]);
}
