/**
 * The commander program: global options and every command, each registered from its own module.
 */
import { Command, Option } from 'commander';
import { LOG_LEVELS, type LogLevel } from '../core/logger.js';
import type { CliContext, GlobalOptions } from './context.js';
import type { OutputFormat } from './output.js';
import { register as registerScan } from './commands/scan.js';
import { register as registerStatus } from './commands/status.js';
import { register as registerPlan } from './commands/plan.js';
import { register as registerUpdate } from './commands/update.js';
import { register as registerRollback } from './commands/rollback.js';
import { register as registerHistory } from './commands/history.js';
import { register as registerWatch } from './commands/watch.js';
import { register as registerApprove } from './commands/approve.js';
import { register as registerReject } from './commands/reject.js';
import { register as registerPause } from './commands/pause.js';
import { register as registerResume } from './commands/resume.js';
import { register as registerCancel } from './commands/cancel.js';
import { register as registerQueue } from './commands/queue.js';
import { register as registerServe } from './commands/serve.js';
import { register as registerInit } from './commands/init.js';
import { EXIT_CODES_HELP } from './help.js';

export const VERSION = '0.1.0';
export const DEFAULT_CONFIG_PATH = './safe-updater.yaml';

/** Every command, in the order `--help` lists them. */
const COMMANDS: readonly ((program: Command, ctx: CliContext) => void)[] = [
  registerScan,
  registerStatus,
  registerPlan,
  registerUpdate,
  registerRollback,
  registerHistory,
  registerWatch,
  registerApprove,
  registerReject,
  registerPause,
  registerResume,
  registerQueue,
  registerCancel,
  registerServe,
  registerInit,
];

export interface ProgramOutput {
  /** Help and version text (stdout in text mode, collected in json mode). */
  writeOut: (text: string) => void;
  /** commander's own usage messages; main.ts reports them through its error handler instead. */
  writeErr: (text: string) => void;
}

/**
 * Builds the program. Settings that subcommands inherit (exitOverride, output) are set before the commands
 * are added, because commander copies them when a subcommand is created.
 */
export function buildProgram(
  createContextFor: (program: Command) => CliContext,
  output: ProgramOutput,
): Command {
  const program = new Command('safe-updater')
    .description(
      'Keeps deployed software current without breaking it: discovers Helm releases, Kubernetes workloads ' +
        'and Docker containers, finds newer versions, updates them by policy, verifies health and rolls back.',
    )
    .version(VERSION, '-V, --version', 'print the version')
    .addOption(
      new Option('-c, --config <file>', 'configuration file')
        .default(DEFAULT_CONFIG_PATH)
        .env('SAFE_UPDATER_CONFIG'),
    )
    .addOption(
      new Option(
        '--state <url>',
        'journal URL (sqlite://PATH, sqlite::memory:, postgres://…); overrides the config',
      ).env('SAFE_UPDATER_STATE'),
    )
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(
      new Option('--log-level <level>', 'log level of the JSON logs on stderr')
        .choices(LOG_LEVELS)
        .default('warn')
        .env('SAFE_UPDATER_LOG_LEVEL'),
    )
    .option('--no-color', 'plain text without colours')
    .option('--verbose', 'show stack traces of errors')
    .helpOption('-h, --help', 'show help')
    .helpCommand(false)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeOut: output.writeOut, writeErr: output.writeErr, outputError: () => undefined })
    .addHelpText('after', EXIT_CODES_HELP);

  const ctx = createContextFor(program);
  for (const register of COMMANDS) register(program, ctx);
  return program;
}

/** The parsed global options of `program`. */
export function readGlobals(program: Command): GlobalOptions {
  const opts = program.opts<{
    config: string;
    state?: string;
    output: OutputFormat;
    logLevel: LogLevel;
    color: boolean;
    verbose?: boolean;
  }>();
  const source = program.getOptionValueSource('config');
  return {
    config: opts.config,
    configExplicit: source === 'cli' || source === 'env',
    state: opts.state,
    output: opts.output,
    logLevel: opts.logLevel,
    color: opts.color,
    verbose: opts.verbose === true,
  };
}
