/** `safe-updater approve <id>`: let a held update run. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerDecision } from './decide-approval.js';

export function register(program: Command, ctx: CliContext): void {
  registerDecision(program, ctx, 'approve');
}
