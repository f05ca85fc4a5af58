/** `safe-updater scan`: discover what runs (Helm releases, Kubernetes workloads, Docker containers). */
import { Option, type Command } from 'commander';
import type { CliContext } from '../context.js';
import { addExamples } from '../help.js';
import { notBuilt } from '../not-built.js';

export interface ScanOptions {
  kind?: ('helm' | 'kubernetes' | 'docker')[];
  namespace?: string;
}

export function register(program: Command, _ctx: CliContext): void {
  const command = program
    .command('scan')
    .description('discover Helm releases, Kubernetes workloads and Docker containers and record them')
    .addOption(
      new Option('-k, --kind <kind...>', 'only these kinds').choices(['helm', 'kubernetes', 'docker']),
    )
    .option('-n, --namespace <namespace>', 'only this Kubernetes namespace')
    .action(async (_options: ScanOptions) => {
      notBuilt('scan', 'discovery of Helm releases, workloads and containers is on its way');
    });
  addExamples(command, [
    ['safe-updater scan', 'discover everything the configuration can reach'],
    ['safe-updater scan --kind helm -n production', 'only Helm releases in namespace production'],
    ['safe-updater scan --output json', 'the discovered assets as JSON'],
  ]);
}
