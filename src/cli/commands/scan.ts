/**
 * `safe-updater scan`: discover what runs (Helm releases, Kubernetes workloads, Docker containers), record
 * it in the journal and look up newer versions. The work lives in src/scan/ and is imported when the command
 * runs, so `--help` and other commands do not load the Kubernetes, helm and Docker clients.
 */
import { Option, type Command } from 'commander';
import type { AssetKind } from '../../core/model.js';
import type { CredentialStore } from '../../datasources/oci-registry/credentials.js';
import type { EvaluationDeps } from '../../scan/evaluate.js';
import type { ScanSelection } from '../../scan/from-config.js';
import type { ScanDeps } from '../../scan/scan.js';
import type { Journal } from '../../state/types.js';
import type { CliContext } from '../context.js';
import { addExamples } from '../help.js';

export type { ScanSelection } from '../../scan/from-config.js';

export interface ScanOptions {
  kind?: AssetKind[];
  namespace?: string;
}

/** Lookups and decisions from the configuration (see src/scan/from-config.ts). */
export async function evaluationDependencies(
  ctx: CliContext,
  credentials?: CredentialStore,
): Promise<EvaluationDeps & { journal: Journal }> {
  return (await import('../../scan/from-config.js')).evaluationDependencies(ctx, credentials);
}

/** Everything a scan needs, from the configuration (see src/scan/from-config.ts). */
export async function scanDependencies(ctx: CliContext, selection: ScanSelection = {}): Promise<ScanDeps> {
  return (await import('../../scan/from-config.js')).scanDependencies(ctx, selection);
}

export const kindOption = (): Option =>
  new Option('-k, --kind <kind...>', 'only these kinds').choices(['helm', 'kubernetes', 'docker']);

export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('scan')
    .description(
      'discover Helm releases, Kubernetes workloads and Docker containers, record them and look up newer versions',
    )
    .addOption(kindOption())
    .option('-n, --namespace <namespace>', 'only this Kubernetes namespace')
    .action(async (options: ScanOptions) => {
      const { scanJson, scanTable, scanWithProgress } = await import('../../scan/report.js');
      const deps = await scanDependencies(ctx, {
        ...(options.kind ? { kinds: options.kind } : {}),
        ...(options.namespace ? { namespace: options.namespace } : {}),
      });
      const report = await scanWithProgress(ctx, deps);
      ctx.print(scanTable(report), scanJson(report));
    });
  addExamples(command, [
    ['safe-updater scan', 'discover everything the configuration can reach'],
    ['safe-updater scan --kind helm -n production', 'only Helm releases in namespace production'],
    ['safe-updater scan --output json', 'the discovered assets as JSON'],
  ]);
}
