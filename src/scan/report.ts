/** How scans read for people (tables) and scripts (JSON), and the exit code they give; used by scan/plan/status. */
import { describeVersion } from '../core/model.js';
import type { CliContext } from '../cli/context.js';
import type { TextTable } from '../cli/output.js';
import type { AssetEvaluation } from './evaluate.js';
import { runScan, scanExitCode, summarize, type ScanDeps, type ScanReport } from './scan.js';

/** Runs a scan with progress on a terminal, sets the exit code (5 when anything failed). */
export async function scanWithProgress(ctx: CliContext, deps: ScanDeps): Promise<ScanReport> {
  let lastNote = 0;
  const report = await runScan({
    ...deps,
    onProgress: (done, total) => {
      const now = Date.now();
      if (done === total || now - lastNote > 1000) {
        lastNote = now;
        ctx.note(`looked up ${done}/${total} assets`);
      }
    },
  });
  const code = scanExitCode(report);
  if (code !== 0) ctx.exitCode = code;
  return report;
}

/** Problems of a scan as lines under a table: unreachable sources and failed lookups first. */
export function problemLines(report: ScanReport): string[] {
  return [
    ...report.problems.map((p) => `${p.unavailable ? 'UNAVAILABLE' : 'problem'}: ${p.subject}: ${p.message}`),
    ...report.assets.filter((a) => a.problem).map((a) => `${a.status}: ${a.asset.id}: ${a.problem}`),
  ];
}

function footer(report: ScanReport): string {
  const counts = summarize(report);
  const parts = Object.entries(counts)
    .filter(([key, n]) => n > 0 && key !== 'assets')
    .map(([key, n]) => `${n} ${key}`);
  return [
    `${counts.assets} assets${parts.length ? `: ${parts.join(', ')}` : ''}`,
    ...problemLines(report),
  ].join('\n');
}

/** One evaluation as JSON for scripts. */
export function evaluationJson(evaluation: AssetEvaluation): Record<string, unknown> {
  const { asset, decision } = evaluation;
  return {
    id: asset.id,
    kind: asset.kind,
    namespace: asset.namespace,
    name: asset.name,
    current: asset.current,
    source: asset.source ?? null,
    policy: evaluation.policy ?? null,
    status: evaluation.status,
    newestAvailable: evaluation.newestAvailable?.target ?? null,
    decision: decision
      ? {
          target: decision.candidate.target,
          updateType: decision.candidate.updateType,
          verdict: decision.verdict,
          reasons: decision.reasons,
        }
      : null,
    problem: evaluation.problem ?? null,
  };
}

export function scanJson(report: ScanReport): Record<string, unknown> {
  return {
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    summary: summarize(report),
    problems: report.problems,
    assets: report.assets.map(evaluationJson),
  };
}

export function scanTable(report: ScanReport): TextTable {
  return {
    headers: ['asset', 'current', 'newest', 'status'],
    rows: report.assets.map((e) => [
      e.asset.id,
      describeVersion(e.asset.current),
      e.newestAvailable ? describeVersion(e.newestAvailable.target) : '-',
      e.status,
    ]),
    footer: footer(report),
  };
}

/** What plan shows: one line per decision, verdicts counted, problems listed. */
export function planTable(report: ScanReport): TextTable {
  const rows: string[][] = [];
  for (const e of report.assets) {
    const d = e.decision;
    if (!d) continue;
    const reasons = d.reasons.join('; ');
    rows.push([
      e.asset.id,
      `${describeVersion(e.asset.current)} → ${describeVersion(d.candidate.target)}`,
      d.candidate.updateType,
      d.verdict,
      reasons,
    ]);
  }
  const count = (verdict: string): number =>
    report.assets.filter((e) => e.decision?.verdict === verdict).length;
  const upToDate = report.assets.filter((e) => e.status === 'up-to-date').length;
  return {
    headers: ['asset', 'update', 'type', 'verdict', 'reasons'],
    rows,
    footer: [
      `${count('auto')} auto, ${count('needs-approval')} need approval, ${count('blocked')} blocked, ${upToDate} up to date`,
      ...problemLines(report),
    ].join('\n'),
  };
}

export function planJson(report: ScanReport): Record<string, unknown> {
  const count = (verdict: string): number =>
    report.assets.filter((e) => e.decision?.verdict === verdict).length;
  return {
    summary: { auto: count('auto'), needsApproval: count('needs-approval'), blocked: count('blocked') },
    problems: report.problems,
    assets: report.assets.map(evaluationJson),
  };
}
