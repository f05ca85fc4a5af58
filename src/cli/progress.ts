/**
 * Progress of a long command (update, rollback) for people, on stderr: an ora spinner whose text follows
 * the steps when stderr is a terminal, else one line per step with the seconds since the start; nothing in
 * --output json mode, where stdout carries the one result document.
 */
import ora, { type Ora } from 'ora';
import type { ProgressReporter } from '../updaters/types.js';
import type { CliContext } from './context.js';

export interface Progress {
  report: ProgressReporter;
  /** Stops the spinner (leaving the last step on screen); call once the command has its result. */
  stop(): void;
}

export function startProgress(ctx: CliContext): Progress {
  const started = ctx.clock.now().getTime();
  const elapsed = (): string => `${((ctx.clock.now().getTime() - started) / 1000).toFixed(1)}s`;
  const interactive = ctx.globals.output === 'text' && process.stderr.isTTY === true;
  if (!interactive) {
    return {
      report: (message) => ctx.note(`[${elapsed().padStart(6)}] ${message}`),
      stop: () => undefined,
    };
  }
  let spinner: Ora | undefined;
  return {
    report(message) {
      // Each finished step stays on screen; the spinner moves on to the next.
      if (spinner) spinner.stopAndPersist({ symbol: '·' });
      spinner = ora({ text: `${message} (${elapsed()})`, stream: process.stderr }).start();
    },
    stop() {
      spinner?.stopAndPersist({ symbol: '·' });
      spinner = undefined;
    },
  };
}

/** Runs `fn` with a progress reporter and stops the spinner however it ends, before anything is printed. */
export async function withProgress<T>(
  ctx: CliContext,
  fn: (report: ProgressReporter) => Promise<T>,
): Promise<T> {
  const progress = startProgress(ctx);
  try {
    return await fn(progress.report);
  } finally {
    progress.stop();
  }
}
