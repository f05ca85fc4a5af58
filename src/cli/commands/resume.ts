/** `safe-updater resume [asset] --all`: allow automatic updates again. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerSetPaused } from './set-paused.js';

export function register(program: Command, ctx: CliContext): void {
  registerSetPaused(program, ctx, 'resume');
}
