/**
 * What a command receives.
 *
 * Contract of a command module (src/cli/commands/<name>.ts):
 *
 *   export function register(program: Command, ctx: CliContext): void
 *
 * - It adds ONE subcommand to `program` with its arguments, options, description and help examples
 *   (`addExamples(command, [...])`), and an async action.
 * - The action takes what it needs from `ctx` — `await ctx.config()`, `await ctx.journal()`, `ctx.logger`,
 *   `ctx.clock`, `ctx.globals` — and builds library objects from them (Config → plain option objects happens
 *   here in the CLI, never in library code).
 * - It reports its result by calling `ctx.print(text, json)` once: `text` (a string or a TextTable) for
 *   people, `json` (any JSON-able value) for `--output json`. Progress notes go to `ctx.note()` (stderr, text
 *   mode only). It never writes to stdout directly and never calls process.exit.
 * - Failure is a thrown typed error from src/core/errors.ts; the single handler in src/cli/main.ts turns it
 *   into the documented exit code, a one-line message and a hint. A result that is not a failure but must
 *   give a non-zero exit code (e.g. `plan` finding blocked updates) sets `ctx.exitCode`.
 * - Resources opened through ctx (journal, logger) are closed by main.ts after the action.
 */
import { userInfo } from 'node:os';
import { systemClock, type Clock } from '../core/clock.js';
import type { ExitCode } from '../core/errors.js';
import { createLogger, type Logger, type LogLevel } from '../core/logger.js';
import type { LoadedConfig } from '../config/load.js';
import type { Journal } from '../state/types.js';
import { isTextTable, renderTable, toJson, type OutputFormat, type TextTable } from './output.js';

export interface GlobalOptions {
  /** Path of the configuration file. */
  config: string;
  /** True when the user named the file (--config or SAFE_UPDATER_CONFIG); a missing file is then an error. */
  configExplicit: boolean;
  /** Journal URL overriding the configuration's `state`. */
  state: string | undefined;
  output: OutputFormat;
  logLevel: LogLevel;
  color: boolean;
  verbose: boolean;
}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface CliContext {
  /** Global options, read when the action runs (they are parsed by then). */
  readonly globals: GlobalOptions;
  readonly io: CliIo;
  readonly clock: Clock;
  /** pino on stderr at --log-level, secrets redacted. */
  readonly logger: Logger;
  /** Who acts, for audit events: "cli:<user name>". */
  readonly actor: string;
  /** The configuration, loaded and validated on first use. */
  config(): Promise<LoadedConfig>;
  /** The journal at --state or the configuration's `state`, opened and migrated on first use. */
  journal(): Promise<Journal>;
  /** The command's result: text for people, json for --output json. Call once. */
  print(text: string | TextTable, json: unknown): void;
  /** A progress or warning line on stderr for people; silent with --output json. */
  note(message: string): void;
  /** True once print() ran; main.ts prints `{}` for a silent command under --output json. */
  readonly printed: boolean;
  /** A non-error exit code for the result (default 0). */
  exitCode: ExitCode | undefined;
  /** Closes what was opened (journal). main.ts calls it. */
  close(): Promise<void>;
}

export interface ContextDependencies {
  globals: () => GlobalOptions;
  io: CliIo;
  clock?: Clock;
}

export function createContext(deps: ContextDependencies): CliContext {
  const clock = deps.clock ?? systemClock;
  let config: Promise<LoadedConfig> | undefined;
  let journal: Promise<Journal> | undefined;
  let logger: Logger | undefined;
  let printed = false;

  const context: CliContext = {
    get globals() {
      return deps.globals();
    },
    io: deps.io,
    clock,
    get logger() {
      logger ??= createLogger({ level: deps.globals().logLevel });
      return logger;
    },
    actor: `cli:${currentUser(deps.io.env)}`,
    exitCode: undefined,
    get printed() {
      return printed;
    },
    config() {
      const globals = deps.globals();
      // Loaded on use, like the journal: `--help` and commands that need neither start faster.
      config ??= import('../config/load.js').then(({ loadConfig }) =>
        loadConfig(globals.config, { explicit: globals.configExplicit, cwd: deps.io.cwd, env: deps.io.env }),
      );
      return config;
    },
    journal() {
      journal ??= (async () => {
        const url = deps.globals().state ?? (await context.config()).config.state;
        const { openJournal } = await import('../state/journal.js');
        const opened = await openJournal(url, { logger: context.logger, cwd: deps.io.cwd });
        await opened.migrate();
        return opened;
      })();
      return journal;
    },
    print(text, json) {
      if (printed) throw new Error('a command printed its result twice');
      printed = true;
      if (deps.globals().output === 'json') {
        deps.io.stdout(`${toJson(json)}\n`);
      } else {
        const body = isTextTable(text) ? renderTable(text) : text;
        if (body !== '') deps.io.stdout(body.endsWith('\n') ? body : `${body}\n`);
      }
    },
    note(message) {
      if (deps.globals().output === 'text') deps.io.stderr(`${message}\n`);
    },
    async close() {
      const opened = journal;
      journal = undefined;
      if (opened) await opened.then((j) => j.close()).catch(() => undefined);
    },
  };
  return context;
}

function currentUser(env: NodeJS.ProcessEnv): string {
  if (env.SAFE_UPDATER_ACTOR) return env.SAFE_UPDATER_ACTOR;
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? 'unknown';
  }
}
