/**
 * The actions of `update`, `rollback` and `history`, loaded only when one of them runs (program.ts imports
 * every command file, so their modules stay light and `--help` never loads the workflow).
 */
import { ExternalHostError, NotFoundError, UsageError } from '../core/errors.js';
import { describeVersion, type Asset } from '../core/model.js';
import { reconcile } from '../orchestrator/reconcile.js';
import {
  NON_TERMINAL_STATES,
  outcomeError,
  runManualRollback,
  runUpdate,
  type UpdateResult,
} from '../orchestrator/run-update.js';
import { evaluateAsset } from '../scan/evaluate.js';
import type { UpdateTarget } from '../updaters/types.js';
import type { HistoryOptions } from './commands/history.js';
import type { RollbackOptions } from './commands/rollback.js';
import type { UpdateOptions } from './commands/update.js';
import type { CliContext } from './context.js';
import { formatTime } from './output.js';
import { findLiveAsset, openPipeline, type Pipeline } from './pipeline.js';
import { splitChartRef } from '../helm/output.js';
import { withProgress } from './progress.js';
import type { ProgressReporter } from '../updaters/types.js';

/** The pipeline of a workflow command, after start-up reconciliation has settled interrupted records. */
async function startWorkflow(ctx: CliContext, timeoutSeconds: number, progress: ProgressReporter) {
  const pipeline = await openPipeline(ctx);
  const deps = pipeline.workflow();
  const timeoutMs = timeoutSeconds * 1000;
  await reconcile(deps, { timeoutMs, progress });
  return { pipeline, deps, timeoutMs };
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

export async function runUpdateCommand(
  ctx: CliContext,
  argument: string,
  options: UpdateOptions,
): Promise<void> {
  const print = await withProgress(ctx, async (progress): Promise<() => Promise<void>> => {
    const { pipeline, deps, timeoutMs } = await startWorkflow(ctx, options.timeout, progress);

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
      throw new NotFoundError(
        `${asset.id}: ${evaluation.problem ?? `version ${options.toVersion} not found`}`,
      );
    }
    const decision = evaluation.decision;
    const target = options.toVersion
      ? (decision?.candidate.target ?? { version: options.toVersion })
      : decision?.candidate.target;
    if (!target) {
      return async () =>
        ctx.print(`${asset.id}: ${describeVersion(asset.current)} is up to date (${evaluation.status})`, {
          assetId: asset.id,
          outcome: 'up-to-date',
          current: asset.current,
          status: evaluation.status,
          problem: evaluation.problem,
        });
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
    return () => printResult(ctx, result, { decision: decision ?? null });
  });
  await print();
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
async function planRollback(
  pipeline: Pipeline,
  asset: Asset,
  options: RollbackOptions,
): Promise<RollbackPlan> {
  const journal = pipeline.journal;
  if (options.revision !== undefined) {
    if (asset.kind !== 'helm') throw new UsageError('--revision applies to Helm releases only');
    // The journal records the chart version the revision holds, not just its number.
    const history = await pipeline.helm().history(asset.name, asset.namespace);
    const revision = history.find((entry) => entry.revision === options.revision);
    if (!revision) {
      throw new NotFoundError(`${asset.id} has no revision ${options.revision}`, {
        hint: `its revisions: ${history.map((entry) => entry.revision).join(', ') || 'none'} (\`helm history ${asset.name} -n ${asset.namespace}\`)`,
      });
    }
    return {
      target: { version: splitChartRef(revision.chart).version },
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

export async function runRollbackCommand(
  ctx: CliContext,
  argument: string,
  options: RollbackOptions,
): Promise<void> {
  const result = await withProgress(ctx, async (progress) => {
    const { pipeline, deps, timeoutMs } = await startWorkflow(ctx, options.timeout, progress);
    const asset = await findLiveAsset(pipeline, argument, options.namespace);
    const plan = await planRollback(pipeline, asset, options);
    progress(`${asset.id}: rolling back from ${asset.current.version} to ${plan.target.version}`);
    return runManualRollback(deps, {
      asset,
      target: plan.target,
      ...(plan.rollbackTo ? { rollbackTo: plan.rollbackTo } : {}),
      origin: 'cli',
      requestedBy: ctx.actor,
      timeoutMs,
      progress,
    });
  });
  await printResult(ctx, result);
}

/** Settling interrupted records first means the history shows what really happened, not a stale state. */
const RECONCILE_TIMEOUT_MS = 5 * 60_000;

export async function runHistoryCommand(
  ctx: CliContext,
  assetId: string,
  options: HistoryOptions,
): Promise<void> {
  const pipeline = await openPipeline(ctx);
  const journal = pipeline.journal;
  const open = await journal.listUpdates({ assetId, states: [...NON_TERMINAL_STATES] });
  if (open.length > 0) {
    await withProgress(ctx, (progress) =>
      reconcile(pipeline.workflow(), { assetId, timeoutMs: RECONCILE_TIMEOUT_MS, progress }),
    );
  }

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
