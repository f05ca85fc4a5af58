/** `safe-updater init`: write a commented starter configuration. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { STARTER_CONFIG } from '../../config/starter.js';
import type { CliContext } from '../context.js';
import { addExamples } from '../help.js';

export interface InitOptions {
  force?: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('init')
    .description('write a commented starter configuration to --config (default ./safe-updater.yaml)')
    .option('-f, --force', 'overwrite an existing file')
    .action(async (options: InitOptions) => {
      const path = resolve(ctx.io.cwd, ctx.globals.config);
      await mkdir(dirname(path), { recursive: true });
      try {
        await writeFile(path, STARTER_CONFIG, { flag: options.force ? 'w' : 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new UsageError(`${ctx.globals.config} exists already`, {
            hint: 'pass --force to overwrite it',
          });
        }
        throw error;
      }
      ctx.print(`wrote ${ctx.globals.config}; check it with \`safe-updater plan\``, { written: path });
    });
  addExamples(command, [
    ['safe-updater init', 'write ./safe-updater.yaml'],
    ['safe-updater --config /etc/safe-updater.yaml init --force', 'somewhere else, overwriting'],
  ]);
}
