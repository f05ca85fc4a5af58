/** `safe-updater serve`: HTTP API, metrics and probes over the journal, without running updates. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { addExamples } from '../help.js';

export interface ServeOptions {
  listen?: string;
}

export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('serve')
    .description('serve /healthz, /readyz, /metrics and the REST API over the journal (no updates)')
    .option('--listen <address>', 'host:port to listen on (default: server.listen, 127.0.0.1:8080)')
    .action(async (options: ServeOptions) => {
      const { runServe } = await import('../../daemon/from-config.js');
      const { config } = await ctx.config();
      await runServe(ctx, options.listen ?? config.server.listen);
    });
  addExamples(command, [
    ['safe-updater serve', 'listen on server.listen (127.0.0.1:8080)'],
    ['safe-updater serve --listen 0.0.0.0:9090', 'on every interface, port 9090'],
  ]);
}
