/** `safe-updater status`: what runs, what is newer, what is paused or updating — from the journal. */
import { Option, type Command } from 'commander';
import type { CliContext } from '../context.js';
import { addExamples } from '../help.js';
import { notBuilt } from '../not-built.js';

export interface StatusOptions {
  kind?: ('helm' | 'kubernetes' | 'docker')[];
  namespace?: string;
}

export function register(program: Command, _ctx: CliContext): void {
  const command = program
    .command('status')
    .description('show each asset: current version, last update, paused or not')
    .argument('[asset]', 'one asset id, e.g. helm/default/web')
    .addOption(
      new Option('-k, --kind <kind...>', 'only these kinds').choices(['helm', 'kubernetes', 'docker']),
    )
    .option('-n, --namespace <namespace>', 'only this namespace')
    .action(async (_asset: string | undefined, _options: StatusOptions) => {
      notBuilt('status', 'the asset overview is on its way');
    });
  addExamples(command, [
    ['safe-updater status', 'every known asset'],
    ['safe-updater status helm/default/web', 'one asset'],
    ['safe-updater status --output json', 'as JSON for scripts'],
  ]);
}
