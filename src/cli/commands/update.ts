/** `safe-updater update <asset>`: update one asset to a version, verify it, roll back when it is unhealthy. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { addExamples, parseTimeoutSeconds } from '../help.js';

export interface UpdateOptions {
  toVersion?: string;
  namespace: string;
  dryRun?: boolean;
  force?: boolean;
  retryFailed?: boolean;
  /** --wait (default) / --no-wait */
  wait: boolean;
  /** Seconds. */
  timeout: number;
}

export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('update')
    .description('update an asset to a version, verify its health and roll back when it fails')
    .argument(
      '<asset>',
      'asset id (helm/NS/RELEASE, k8s/NS/KIND/NAME/container/C, docker/HOST/NAME) or a release name',
    )
    .option(
      '--to-version <version>',
      'target version (chart version or image tag); default: what the policy picks',
    )
    .option('-n, --namespace <namespace>', 'Kubernetes namespace (when <asset> is a bare name)', 'default')
    .option('--dry-run', 'validate and show what would change, change nothing')
    .option('--force', 'skip policy gates (update type, windows, approvals); safety checks still apply')
    .option('--retry-failed', 'try a version again that failed and was rolled back before')
    .option('--wait', 'wait for the update to finish and be verified (default)', true)
    .option('--no-wait', 'return once the update is applied; the next run finishes its verification')
    .option(
      '--timeout <seconds>',
      'how long to wait for a healthy rollout (seconds, or 5m)',
      parseTimeoutSeconds,
      300,
    )
    .action(async (asset: string, options: UpdateOptions) => {
      const { runUpdateCommand } = await import('../workflow-actions.js');
      await runUpdateCommand(ctx, asset, options);
    });
  addExamples(command, [
    ['safe-updater update helm/default/web --to-version 1.1.0', 'upgrade a Helm release'],
    ['safe-updater update web -n default --to-version 1.1.0 --dry-run', 'show what would change'],
    ['safe-updater update docker/local/api --to-version 2.0.0 --force', 'past the policy gates'],
    ['safe-updater update helm/default/web --to-version 1.2.0 --no-wait', 'start it and return'],
  ]);
}
