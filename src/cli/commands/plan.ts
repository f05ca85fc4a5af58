/** `safe-updater plan`: which updates policy would apply, which need approval, which are blocked, and why. */
import { Option, type Command } from 'commander';
import type { CliContext } from '../context.js';
import { addExamples } from '../help.js';
import { notBuilt } from '../not-built.js';

export interface PlanOptions {
  kind?: ('helm' | 'kubernetes' | 'docker')[];
  namespace?: string;
}

export function register(program: Command, _ctx: CliContext): void {
  const command = program
    .command('plan')
    .description('look up newer versions and show what policy would do with each, without changing anything')
    .argument('[asset]', 'one asset id, e.g. helm/default/web')
    .addOption(
      new Option('-k, --kind <kind...>', 'only these kinds').choices(['helm', 'kubernetes', 'docker']),
    )
    .option('-n, --namespace <namespace>', 'only this namespace')
    .action(async (_asset: string | undefined, _options: PlanOptions) => {
      notBuilt('plan', 'version lookup and policy decisions are on their way');
    });
  addExamples(command, [
    ['safe-updater plan', 'every asset: auto, needs-approval or blocked, with reasons'],
    ['safe-updater plan helm/default/web', 'one asset'],
    ['safe-updater plan --kind docker --output json', 'Docker containers only, as JSON'],
  ]);
}
