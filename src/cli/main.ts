#!/usr/bin/env node
/**
 * The entry point of `safe-updater` and its single top-level error handler: every typed error from
 * src/core/errors.ts becomes its documented exit code, a one-line message and a hint; stack traces only
 * with --verbose. With `--output json` stdout holds exactly one JSON document, errors and help included.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CommanderError } from 'commander';
import { ExitCode, SafeUpdaterError, UsageError, errorMessage } from '../core/errors.js';
import { redactString } from '../core/redact.js';
import { ConfigValidationError } from '../config/problems.js';
import { createContext, type CliContext, type CliIo } from './context.js';
import { toJson } from './output.js';
import { buildProgram, readGlobals } from './program.js';

/** Runs the CLI with `argv` (without node and script) and gives the exit code. */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const flags = scanFlags(argv);
  const captured: string[] = [];
  let ctx: CliContext | undefined;
  try {
    const program = buildProgram((p) => (ctx = createContext({ globals: () => readGlobals(p), io })), {
      writeOut: (text) => (flags.json ? captured.push(text) : io.stdout(text)),
      writeErr: (text) => captured.push(text),
    });
    await program.parseAsync([...argv], { from: 'user' });
    // Scripts parse stdout: even a command with nothing to say leaves one JSON document there.
    if (flags.json && ctx?.printed === false) io.stdout('{}\n');
    return ctx?.exitCode ?? ExitCode.ok;
  } catch (error) {
    if (
      error instanceof CommanderError &&
      (error.code === 'commander.helpDisplayed' || error.code === 'commander.version')
    ) {
      if (flags.json) {
        const text = captured.join('');
        io.stdout(
          `${toJson(error.code === 'commander.version' ? { version: text.trim() } : { help: text })}\n`,
        );
      }
      return ExitCode.ok;
    }
    return report(toTypedError(error, argv), flags, io);
  } finally {
    await ctx?.close();
  }
}

/** commander's own usage errors become UsageErrors; everything else stays as it is. */
function toTypedError(error: unknown, argv: readonly string[]): unknown {
  if (!(error instanceof CommanderError)) return error;
  if (error.code === 'commander.help') {
    return new UsageError('a command is required', { hint: 'see `safe-updater --help`' });
  }
  const message = error.message.replace(/^error:\s*/, '');
  const command = argv.find((arg) => !arg.startsWith('-') && /^[a-z]+$/.test(arg));
  return new UsageError(message, {
    hint: `see \`safe-updater ${command && !message.includes('unknown command') ? `${command} ` : ''}--help\``,
  });
}

function report(error: unknown, flags: Flags, io: CliIo): number {
  const typed = error instanceof SafeUpdaterError;
  const exitCode = typed ? error.exitCode : ExitCode.failed;
  const message = redactString(typed ? error.message : `unexpected error: ${errorMessage(error)}`);
  const hint = typed ? error.hint : 'run again with --verbose and report the stack trace';
  if (flags.json) {
    const body: Record<string, unknown> = {
      type: error instanceof Error ? error.name : 'Error',
      message,
      exitCode,
    };
    if (hint !== undefined) body.hint = hint;
    if (error instanceof ConfigValidationError) body.problems = error.problems;
    if (flags.verbose && error instanceof Error) body.stack = stackOf(error);
    io.stdout(`${toJson({ error: body })}\n`);
  } else {
    const lines =
      error instanceof ConfigValidationError
        ? [`error: ${error.summary}`, ...error.problems.map((problem) => problem.text)]
        : [`error: ${message}`];
    if (hint !== undefined) lines.push(`hint: ${hint}`);
    if (flags.verbose && error instanceof Error) lines.push(stackOf(error));
    io.stderr(`${lines.join('\n')}\n`);
  }
  return exitCode;
}

function stackOf(error: Error): string {
  const parts = [error.stack ?? String(error)];
  let cause = error.cause;
  while (cause !== undefined) {
    parts.push(`caused by: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return redactString(parts.join('\n'));
}

interface Flags {
  json: boolean;
  verbose: boolean;
}

/**
 * --output and --verbose read before commander parses, because help, version and usage errors happen
 * during parsing and must already honour them.
 */
function scanFlags(argv: readonly string[]): Flags {
  let json = false;
  let verbose = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') break;
    if (arg === '--verbose') verbose = true;
    if (arg === '--output' || arg === '-o') json = argv[i + 1] === 'json';
    if (arg === '--output=json' || arg === '-ojson') json = true;
  }
  return { json, verbose };
}

function processIo(): CliIo {
  // `safe-updater status | head -1` closes stdout early: that is the reader's choice, not a crash.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
  };
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  process.exitCode = await run(process.argv.slice(2));
}
