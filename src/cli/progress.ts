/**
 * Progress of a long command (update, rollback) for people: one line per step on stderr, each with the
 * seconds since the start; nothing in --output json mode, where stdout carries the one result document.
 */
import type { ProgressReporter } from '../updaters/types.js';
import type { CliContext } from './context.js';

export function progressReporter(ctx: CliContext): ProgressReporter {
  const started = ctx.clock.now().getTime();
  return (message) => {
    const seconds = ((ctx.clock.now().getTime() - started) / 1000).toFixed(1).padStart(5);
    ctx.note(`[${seconds}s] ${message}`);
  };
}
