/** `safe-updater pause [asset] --all`: stop automatic updates. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerSetPaused } from './set-paused.js';

export function register(program: Command, ctx: CliContext): void {
  registerSetPaused(program, ctx, 'pause');
}
