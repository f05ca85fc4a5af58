/**
 * A scan: sources → assets (recorded in the journal) → lookups (bounded concurrency, one listing per
 * repository thanks to the datasources' cache) → candidates → decisions. `scan`, `status`, `plan` and the
 * daemon all use it. A source that cannot be reached or a lookup that fails is listed and makes the exit
 * code 5: it is never shown as "no update".
 */
import type { Asset } from '../core/model.js';
import { ExitCode, errorMessage } from '../core/errors.js';
import type { DiscoveryProblem, Source } from '../sources/types.js';
import type { Journal } from '../state/types.js';
import { mapWithConcurrency } from './concurrency.js';
import { evaluateAsset, type AssetEvaluation, type EvaluationDeps } from './evaluate.js';

export interface ScanDeps extends EvaluationDeps {
  sources: Source[];
  journal?: Journal;
  /** Lookups at once; default 16. */
  concurrency?: number;
  /** Keeps only some assets (kind, namespace, id filters of the CLI). */
  select?: (asset: Asset) => boolean;
  /** Skip version lookups: discovery only. */
  discoverOnly?: boolean;
  onProgress?: (done: number, total: number) => void;
  /** Runs between discovery and lookups, e.g. to read the registry credentials assets name; its problems are listed. */
  prepare?: (assets: Asset[]) => Promise<DiscoveryProblem[]>;
  actor?: string;
}

export interface ScanReport {
  startedAt: Date;
  finishedAt: Date;
  /** Every discovered asset with its evaluation (status 'up-to-date' and no decision when discoverOnly). */
  assets: AssetEvaluation[];
  problems: DiscoveryProblem[];
}

export async function discoverAssets(
  sources: Source[],
  signal?: AbortSignal,
): Promise<{ assets: Asset[]; problems: DiscoveryProblem[] }> {
  const results = await Promise.all(
    sources.map(async (source) => {
      try {
        return await source.discover(signal);
      } catch (error) {
        return {
          assets: [],
          problems: [{ subject: `${source.kind} source`, message: errorMessage(error), unavailable: true }],
        };
      }
    }),
  );
  return { assets: results.flatMap((r) => r.assets), problems: results.flatMap((r) => r.problems) };
}

export async function runScan(deps: ScanDeps): Promise<ScanReport> {
  const startedAt = deps.clock.now();
  const discovered = await discoverAssets(deps.sources, deps.signal);
  const assets = discovered.assets.filter((asset) => deps.select?.(asset) ?? true);
  if (deps.journal) await deps.journal.upsertAssets(assets, startedAt);
  const problems = [...discovered.problems, ...((await deps.prepare?.(assets)) ?? [])];
  let done = 0;
  const evaluations = deps.discoverOnly
    ? assets.map((asset): AssetEvaluation => ({ asset, status: 'up-to-date' }))
    : await mapWithConcurrency(assets, deps.concurrency ?? 16, async (asset) => {
        const evaluation = await evaluateAsset(asset, deps);
        deps.onProgress?.(++done, assets.length);
        return evaluation;
      });
  const report: ScanReport = {
    startedAt,
    finishedAt: deps.clock.now(),
    assets: evaluations,
    problems,
  };
  if (deps.journal) {
    await deps.journal.audit({
      at: report.finishedAt,
      assetId: null,
      updateId: null,
      type: 'scan.completed',
      actor: deps.actor ?? 'scan',
      data: summarize(report),
    });
  }
  return report;
}

export function summarize(report: ScanReport): Record<string, number> {
  const counts: Record<string, number> = { assets: report.assets.length, problems: report.problems.length };
  for (const evaluation of report.assets) counts[evaluation.status] = (counts[evaluation.status] ?? 0) + 1;
  return counts;
}

/** 5 when a source was unreachable or a lookup failed; 2 when a policy is invalid; else 0. */
export function scanExitCode(report: ScanReport): ExitCode {
  const failed = report.assets.some((a) => a.status === 'lookup-failed' || a.status === 'not-found');
  if (failed || report.problems.some((p) => p.unavailable)) return ExitCode.unavailable;
  if (report.assets.some((a) => a.status === 'invalid-policy')) return ExitCode.usage;
  return ExitCode.ok;
}
