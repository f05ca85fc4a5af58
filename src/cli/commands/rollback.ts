/** `safe-updater rollback <asset>`: go back to the previous (or a named) version or Helm revision. */
import type { Command } from 'commander';
import { NotFoundError, UsageError } from '../../core/errors.js';
import type { Asset } from '../../core/model.js';
import { reconcile } from '../../orchestrator/reconcile.js';
import { runManualRollback } from '../../orchestrator/run-update.js';
import type { Journal } from '../../state/types.js';
import type { UpdateTarget } from '../../updaters/types.js';
import type { CliContext } from '../context.js';
import { addExamples, parseInteger, parseTimeoutSeconds } from '../help.js';
import { progressReporter } from '../progress.js';
import { printResult } from './update.js';

export interface RollbackOptions {
  toVersion?: string;
  namespace: string;
  revision?: number;
  /** Seconds. */
  timeout: number;
}

interface RollbackPlan {
  target: UpdateTarget;
  /** Facts that lead back to the target; absent: the target version is applied like any version. */
  rollbackTo?: Record<string, unknown>;
}

function withoutWorkflow(facts: Record<string, unknown>): Record<string, unknown> {
  const { workflow: _workflow, ...rest } = facts;
  return rest;
}

/**
 * Where a rollback goes: a Helm revision; a named version (through the facts of the update that left it,
 * when there is one); or, by default, the version before the last successful update to what runs now.
 */
async function planRollback(journal: Journal, asset: Asset, options: RollbackOptions): Promise<RollbackPlan> {
  if (options.revision !== undefined) {
    if (asset.kind !== 'helm') throw new UsageError('--revision applies to Helm releases only');
    return {
      target: { version: `revision ${options.revision}` },
      rollbackTo: { revision: options.revision },
    };
  }
  const updates = await journal.listUpdates({ assetId: asset.id });
  const leftBehind = (version: string) =>
    updates.find((u) => u.fromVersion === version && Object.keys(withoutWorkflow(u.facts)).length > 0);
  if (options.toVersion !== undefined) {
    const earlier = leftBehind(options.toVersion);
    return earlier
      ? { target: { version: options.toVersion }, rollbackTo: withoutWorkflow(earlier.facts) }
      : { target: { version: options.toVersion } };
  }
  const last = updates.find((u) => u.state === 'succeeded' && u.toVersion === asset.current.version);
  if (!last) {
    throw new NotFoundError(`no recorded update brought ${asset.id} to ${asset.current.version}`, {
      hint: 'name where to go with --to-version VERSION (or --revision N for a Helm release)',
    });
  }
  return {
    target: { version: last.fromVersion, ...(last.fromDigest ? { digest: last.fromDigest } : {}) },
    rollbackTo: withoutWorkflow(last.facts),
  };
}

async function runRollbackCommand(
  ctx: CliContext,
  argument: string,
  options: RollbackOptions,
): Promise<void> {
  // Loaded on use: `--help` and other commands never load the Kubernetes client, helm wiring and the rest.
  const { findLiveAsset, openPipeline } = await import('../pipeline.js');
  const pipeline = await openPipeline(ctx);
  const deps = pipeline.workflow();
  const timeoutMs = options.timeout * 1000;
  const progress = progressReporter(ctx);
  await reconcile(deps, { timeoutMs, progress });
  const asset = await findLiveAsset(pipeline, argument, options.namespace);
  const plan = await planRollback(pipeline.journal, asset, options);
  progress(`${asset.id}: rolling back from ${asset.current.version} to ${plan.target.version}`);
  const result = await runManualRollback(deps, {
    asset,
    target: plan.target,
    ...(plan.rollbackTo ? { rollbackTo: plan.rollbackTo } : {}),
    origin: 'cli',
    requestedBy: ctx.actor,
    timeoutMs,
    progress,
  });
  await printResult(ctx, result);
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
    .action((asset: string, options: RollbackOptions) => runRollbackCommand(ctx, asset, options));
  addExamples(command, [
    ['safe-updater rollback helm/default/web', 'back to the version before the last update'],
    ['safe-updater rollback web -n default --revision 3', 'back to Helm revision 3'],
    ['safe-updater rollback docker/local/api --to-version 1.0.0', 'back to a named version'],
  ]);
}
