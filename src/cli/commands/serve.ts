/** `safe-updater serve`: HTTP API, metrics, webhook receiver and dashboard. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { addExamples } from '../help.js';
import { notBuilt } from '../not-built.js';

export interface ServeOptions {
  listen: string;
}

export function register(program: Command, _ctx: CliContext): void {
  const command = program
    .command('serve')
    .description('serve /healthz, /metrics, the REST API, registry webhooks and the dashboard')
    .option('--listen <address>', 'host:port to listen on', '127.0.0.1:8080')
    .action(async (_options: ServeOptions) => {
      notBuilt('serve', 'the HTTP server is on its way');
    });
  addExamples(command, [
    ['safe-updater serve', 'listen on 127.0.0.1:8080'],
    ['safe-updater serve --listen 0.0.0.0:9090', 'on every interface, port 9090'],
  ]);
}
