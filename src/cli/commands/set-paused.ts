/**
 * `pause` and `resume` share one shape: set an asset's paused flag (or every known asset's with --all).
 * A paused asset is never updated automatically; `resume` also clears a pause set after a rollback loop.
 */
import type { Command } from 'commander';
import { NotFoundError, UsageError } from '../../core/errors.js';
import { parseAssetId } from '../../state/asset-id.js';
import type { CliContext } from '../context.js';
import { addExamples } from '../help.js';

export interface PauseOptions {
  all?: boolean;
  reason?: string;
}

export function registerSetPaused(program: Command, ctx: CliContext, verb: 'pause' | 'resume'): void {
  const paused = verb === 'pause';
  const command = program
    .command(verb)
    .description(
      paused
        ? 'stop automatic updates of an asset (or of all with --all) until `resume`'
        : 'allow automatic updates of a paused asset again (or of all with --all)',
    )
    .argument('[asset]', 'asset id, e.g. helm/default/web')
    .option('--all', `${verb} every known asset`);
  if (paused) command.option('-r, --reason <text>', 'why, shown by `status` and kept in the audit trail');
  command.action(async (asset: string | undefined, options: PauseOptions) => {
    if ((asset === undefined) === (options.all !== true)) {
      throw new UsageError(`name one asset or pass --all`, { hint: `safe-updater ${verb} helm/default/web` });
    }
    const journal = await ctx.journal();
    const targets =
      asset === undefined
        ? (await journal.listAssets()).map((row) => row.id)
        : [await knownAsset(ctx, asset)];
    const reason = paused ? (options.reason ?? null) : null;
    for (const id of targets) await journal.setPaused(id, paused, reason, ctx.actor);
    const text =
      targets.length === 0
        ? 'no known assets (run `safe-updater scan` first)'
        : targets.map((id) => `${paused ? 'paused' : 'resumed'} ${id}`).join('\n');
    ctx.print(text, { [paused ? 'paused' : 'resumed']: targets, reason });
  });
  addExamples(command, [
    [`safe-updater ${verb} helm/default/web`, `${verb} one asset`],
    [`safe-updater ${verb} --all`, `${verb} every known asset`],
    ...(paused
      ? ([['safe-updater pause docker/local/db -r "migration running"', 'with a reason']] as [
          string,
          string,
        ][])
      : []),
  ]);
}

/** The asset must be known: recorded in the journal by a scan, or listed in the configuration. */
async function knownAsset(ctx: CliContext, id: string): Promise<string> {
  parseAssetId(id);
  const journal = await ctx.journal();
  if (await journal.getAsset(id)) return id;
  const { config } = await ctx.config();
  if (config.assets.some((asset) => asset.id === id)) return id;
  throw new NotFoundError(`unknown asset ${id}`, {
    hint: 'run `safe-updater scan` or list it under `assets:` in the configuration',
  });
}
