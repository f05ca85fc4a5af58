/** `safe-updater plan`: which updates policy would apply, which need approval, which are blocked, and why. */
import type { Command } from 'commander';
import type { AssetKind } from '../../core/model.js';
import { ExitCode } from '../../core/errors.js';
import type { CliContext } from '../context.js';
import { addExamples } from '../help.js';
import { kindOption, scanDependencies } from './scan.js';

export interface PlanOptions {
  kind?: AssetKind[];
  namespace?: string;
}

export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('plan')
    .description('look up newer versions and show what policy would do with each, without changing anything')
    .argument('[asset]', 'one asset id, e.g. helm/default/web')
    .addOption(kindOption())
    .option('-n, --namespace <namespace>', 'only this namespace')
    .action(async (asset: string | undefined, options: PlanOptions) => {
      const { planJson, planTable, scanWithProgress } = await import('../../scan/report.js');
      const deps = await scanDependencies(ctx, {
        ...(options.kind ? { kinds: options.kind } : {}),
        ...(options.namespace ? { namespace: options.namespace } : {}),
        ...(asset ? { assetId: asset } : {}),
      });
      const report = await scanWithProgress(ctx, deps);
      // Exit 4 when something waits for approval or is blocked; a failed lookup (5) says more and wins.
      if (
        ctx.exitCode === undefined &&
        report.assets.some((e) => e.decision && e.decision.verdict !== 'auto')
      ) {
        ctx.exitCode = ExitCode.policy;
      }
      ctx.print(planTable(report), planJson(report));
    });
  addExamples(command, [
    ['safe-updater plan', 'every asset: auto, needs-approval or blocked, with reasons'],
    ['safe-updater plan helm/default/web', 'one asset'],
    ['safe-updater plan --kind docker --output json', 'Docker containers only, as JSON'],
  ]);
  command.addHelpText(
    'after',
    '\nExit code 4 when an update needs approval or is blocked; 5 when a lookup failed.\n',
  );
}
