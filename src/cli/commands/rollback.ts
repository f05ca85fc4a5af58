/** `safe-updater rollback <asset>`: go back to the previous (or a named) version or Helm revision. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { addExamples, parseInteger, parseTimeoutSeconds } from '../help.js';

export interface RollbackOptions {
  toVersion?: string;
  namespace: string;
  revision?: number;
  /** Seconds. */
  timeout: number;
}

export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('rollback')
    .description('roll an asset back to its previous version, a named version or a Helm revision')
    .argument('<asset>', 'asset id or a release name')
    .option('--to-version <version>', 'version to go back to (default: the one before the last update)')
    .option('-n, --namespace <namespace>', 'Kubernetes namespace (when <asset> is a bare name)', 'default')
    .option('--revision <number>', 'Helm revision to go back to', parseInteger)
    .option(
      '--timeout <seconds>',
      'how long to wait for a healthy rollout (seconds, or 5m)',
      parseTimeoutSeconds,
      300,
    )
    .action(async (asset: string, options: RollbackOptions) => {
      const { runRollbackCommand } = await import('../workflow-actions.js');
      await runRollbackCommand(ctx, asset, options);
    });
  addExamples(command, [
    ['safe-updater rollback helm/default/web', 'back to the version before the last update'],
    ['safe-updater rollback web -n default --revision 3', 'back to Helm revision 3'],
    ['safe-updater rollback docker/local/api --to-version 1.0.0', 'back to a named version'],
  ]);
}
