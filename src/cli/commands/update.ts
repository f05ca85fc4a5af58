/** `safe-updater update <asset>`: update one asset to a version, verify it, roll back when it is unhealthy. */
import type { Command } from 'commander';
import { NotFoundError, ExternalHostError } from '../../core/errors.js';
import { describeVersion } from '../../core/model.js';
import { reconcile } from '../../orchestrator/reconcile.js';
import { outcomeError, runUpdate, type UpdateResult } from '../../orchestrator/run-update.js';
import { evaluateAsset } from '../../scan/evaluate.js';
import type { CliContext } from '../context.js';
import { addExamples, parseTimeoutSeconds } from '../help.js';
import { progressReporter } from '../progress.js';

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

function describeResult(result: UpdateResult): string {
  const record = result.record;
  const lines: string[] = [];
  if (result.outcome === 'dry-run') {
    lines.push(`${result.assetId}: dry run, nothing changed`, result.dryRun?.summary ?? '');
    if (result.dryRun?.diff) lines.push('', result.dryRun.diff);
    return lines.join('\n');
  }
  if (result.outcome === 'unchanged') return `${result.assetId}: already on that version, nothing to do`;
  if (!record) return `${result.assetId}: ${result.outcome}`;
  lines.push(
    `${result.assetId}: ${record.fromVersion} → ${record.toVersion} ${result.outcome} (update ${record.id})`,
  );
  if (result.health) lines.push(`  health: ${result.health.message}`);
  if (record.reason) lines.push(`  reason: ${record.reason}`);
  if (result.outcome === 'verifying')
    lines.push('  applied; verification is finished by the next safe-updater run');
  if (result.pausedReason) lines.push(`  asset paused: ${result.pausedReason}`);
  return lines.join('\n');
}

async function runUpdateCommand(ctx: CliContext, argument: string, options: UpdateOptions): Promise<void> {
  // Loaded on use: `--help` and other commands never load the Kubernetes client, helm wiring and the rest.
  const { findLiveAsset, openPipeline } = await import('../pipeline.js');
  const pipeline = await openPipeline(ctx);
  const deps = pipeline.workflow();
  const timeoutMs = options.timeout * 1000;
  const progress = progressReporter(ctx);
  await reconcile(deps, { timeoutMs, progress });

  const asset = await findLiveAsset(pipeline, argument, options.namespace);
  const evaluation = await evaluateAsset(
    asset,
    await pipeline.evaluation(),
    options.toVersion ? { targetVersion: options.toVersion } : {},
  );
  if (evaluation.status === 'lookup-failed') {
    throw new ExternalHostError(
      asset.source ? asset.id : 'registry',
      `${asset.id}: version lookup failed: ${evaluation.problem ?? ''}`,
    );
  }
  if (evaluation.status === 'not-found' && options.toVersion) {
    throw new NotFoundError(`${asset.id}: ${evaluation.problem ?? `version ${options.toVersion} not found`}`);
  }
  const decision = evaluation.decision;
  const target = options.toVersion
    ? (decision?.candidate.target ?? { version: options.toVersion })
    : decision?.candidate.target;
  if (!target) {
    ctx.print(`${asset.id}: ${describeVersion(asset.current)} is up to date (${evaluation.status})`, {
      assetId: asset.id,
      outcome: 'up-to-date',
      current: asset.current,
      status: evaluation.status,
      problem: evaluation.problem,
    });
    return;
  }
  progress(
    `${asset.id}: ${describeVersion(asset.current)} → ${describeVersion(target)}${decision ? ` (${decision.verdict})` : ''}`,
  );
  const result = await runUpdate(deps, {
    asset,
    target,
    origin: 'cli',
    requestedBy: ctx.actor,
    ...(decision ? { decision } : {}),
    force: options.force === true,
    retryFailed: options.retryFailed === true,
    dryRun: options.dryRun === true,
    wait: options.wait,
    timeoutMs,
    progress,
  });
  await printResult(ctx, result, { decision: decision ?? null });
}

/**
 * Prints an update's result; a rolled-back or failed update is a result too, so it is printed whole (one
 * JSON document with its `error`) and only the exit code says it failed.
 */
export async function printResult(
  ctx: CliContext,
  result: UpdateResult,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const journal = await ctx.journal();
  const transitions = result.record ? await journal.transitions(result.record.id) : [];
  const error = outcomeError(result);
  ctx.print(describeResult(result), {
    assetId: result.assetId,
    outcome: result.outcome,
    update: result.record ?? null,
    transitions,
    health: result.health ?? null,
    dryRun: result.dryRun ?? null,
    pausedReason: result.pausedReason ?? null,
    ...extra,
    error: error
      ? { type: error.name, message: error.message, exitCode: error.exitCode, hint: error.hint ?? null }
      : null,
  });
  if (error) {
    ctx.note(`error: ${error.message}${error.hint ? `\nhint: ${error.hint}` : ''}`);
    ctx.exitCode = error.exitCode;
  }
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
    .action((asset: string, options: UpdateOptions) => runUpdateCommand(ctx, asset, options));
  addExamples(command, [
    ['safe-updater update helm/default/web --to-version 1.1.0', 'upgrade a Helm release'],
    ['safe-updater update web -n default --to-version 1.1.0 --dry-run', 'show what would change'],
    ['safe-updater update docker/local/api --to-version 2.0.0 --force', 'past the policy gates'],
    ['safe-updater update helm/default/web --to-version 1.2.0 --no-wait', 'start it and return'],
  ]);
}
