/**
 * `safe-updater status`: the assets the journal knows (from the last scan), their current version, the
 * newest allowed and newest available version (looked up now, unless --no-lookup), the verdict, the last
 * update record and the paused flag.
 */
import type { Command } from 'commander';
import type { Asset, AssetKind } from '../../core/model.js';
import { describeVersion } from '../../core/model.js';
import { NotFoundError } from '../../core/errors.js';
import type { AssetEvaluation } from '../../scan/evaluate.js';
import type { AssetRow, UpdateRecord } from '../../state/types.js';
import type { CliContext } from '../context.js';
import { addExamples } from '../help.js';
import { formatTime } from '../output.js';
import { evaluationDependencies, kindOption } from './scan.js';

export interface StatusOptions {
  kind?: AssetKind[];
  namespace?: string;
  /** --no-lookup: from the journal only. */
  lookup: boolean;
}

interface StatusLine {
  row: AssetRow;
  last: UpdateRecord | undefined;
  evaluation: AssetEvaluation | undefined;
}

function newestAllowed(evaluation: AssetEvaluation | undefined): string {
  const decision = evaluation?.decision;
  return decision && decision.verdict === 'auto' ? describeVersion(decision.candidate.target) : '-';
}

function lineJson(
  line: StatusLine,
  evaluationJson: (e: AssetEvaluation) => Record<string, unknown>,
): Record<string, unknown> {
  const { row, last, evaluation } = line;
  return {
    ...(evaluation
      ? evaluationJson(evaluation)
      : {
          id: row.id,
          kind: row.kind,
          namespace: row.namespace,
          name: row.name,
          current: row.snapshot?.current ?? null,
        }),
    paused: row.paused,
    pausedReason: row.pausedReason,
    lastSeenAt: row.lastSeenAt,
    lastUpdate: last
      ? {
          id: last.id,
          state: last.state,
          from: last.fromVersion,
          to: last.toVersion,
          at: last.updatedAt,
          reason: last.reason,
        }
      : null,
  };
}

export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('status')
    .description('show each asset: current version, newest allowed and available, last update, paused or not')
    .argument('[asset]', 'one asset id, e.g. helm/default/web')
    .addOption(kindOption())
    .option('-n, --namespace <namespace>', 'only this namespace')
    .option('--no-lookup', 'from the journal only: do not look up newer versions')
    .action(async (assetId: string | undefined, options: StatusOptions) => {
      const [{ mapWithConcurrency }, { evaluateAsset }, { scanExitCode }, { evaluationJson }] =
        await Promise.all([
          import('../../scan/concurrency.js'),
          import('../../scan/evaluate.js'),
          import('../../scan/scan.js'),
          import('../../scan/report.js'),
        ]);
      // --no-lookup reads the journal only: no registry clients, no Kubernetes client to load.
      const deps = options.lookup ? await evaluationDependencies(ctx) : undefined;
      const journal = deps?.journal ?? (await ctx.journal());
      const rows = (await journal.listAssets()).filter(
        (row) =>
          (!assetId || row.id === assetId) &&
          (!options.kind || options.kind.includes(row.kind)) &&
          (!options.namespace || row.namespace === options.namespace),
      );
      if (assetId && rows.length === 0) {
        throw new NotFoundError(`asset ${assetId} is not in the journal`, {
          hint: 'run `safe-updater scan` first, or check the id',
        });
      }
      const latest = await journal.latestUpdatePerAsset();
      const lines: StatusLine[] = await mapWithConcurrency(rows, 16, async (row) => ({
        row,
        last: latest.get(row.id),
        evaluation: deps && row.snapshot ? await evaluateAsset(row.snapshot as Asset, deps) : undefined,
      }));
      if (options.lookup) {
        const code = scanExitCode({
          startedAt: new Date(),
          finishedAt: new Date(),
          problems: [],
          assets: lines.flatMap((l) => (l.evaluation ? [l.evaluation] : [])),
        });
        if (code !== 0) ctx.exitCode = code;
      }
      const problems = lines.flatMap(({ row, evaluation }) =>
        evaluation?.problem ? [`${evaluation.status}: ${row.id}: ${evaluation.problem}`] : [],
      );
      ctx.print(
        {
          headers: ['asset', 'current', 'newest allowed', 'newest', 'verdict', 'last update', 'paused'],
          rows: lines.map(({ row, last, evaluation }) => [
            row.id,
            row.snapshot ? describeVersion(row.snapshot.current) : '-',
            newestAllowed(evaluation),
            evaluation?.newestAvailable
              ? describeVersion(evaluation.newestAvailable.target)
              : evaluation?.status === 'up-to-date'
                ? 'up to date'
                : '-',
            evaluation?.decision?.verdict ?? evaluation?.status ?? '-',
            last ? `${last.state} ${last.toVersion} ${formatTime(last.updatedAt)}` : '-',
            row.paused ? `yes${row.pausedReason ? ` (${row.pausedReason})` : ''}` : 'no',
          ]),
          footer: [
            rows.length === 0
              ? 'no assets known yet: run `safe-updater scan`'
              : `${rows.length} assets, ${rows.filter((r) => r.paused).length} paused`,
            ...problems,
          ].join('\n'),
        },
        { assets: lines.map((line) => lineJson(line, evaluationJson)) },
      );
    });
  addExamples(command, [
    ['safe-updater status', 'every known asset, with newer versions looked up now'],
    ['safe-updater status helm/default/web', 'one asset'],
    ['safe-updater status --no-lookup --output json', 'from the journal only, as JSON for scripts'],
  ]);
}
