/** `safe-updater watch`: the daemon — scan, plan and update on an interval. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { addExamples, parseDurationOption } from '../help.js';

export interface WatchOptions {
  /** Milliseconds; default: the configuration's watch.interval (else orchestrator.interval). */
  interval?: number;
  once?: boolean;
  /** host:port to serve /healthz, /metrics, the API and registry webhooks on as well. */
  listen?: string;
}

export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('watch')
    .description('run as a daemon: look for updates on an interval and apply them by policy')
    .option(
      '--interval <duration>',
      'time between rounds (default: watch.interval, else orchestrator.interval)',
      parseDurationOption,
    )
    .option('--once', 'run one round, wait for its updates, exit (the exit code tells the outcome)')
    .option('--listen <address>', 'also serve /healthz, /metrics, the REST API and webhooks on host:port')
    .action(async (options: WatchOptions) => {
      // Loaded on use: the daemon pulls in the workflow, the Kubernetes client and fastify.
      const { runWatch } = await import('../../daemon/from-config.js');
      const code = await runWatch(ctx, {
        ...(options.interval !== undefined ? { intervalMs: options.interval } : {}),
        ...(options.once ? { once: true } : {}),
        ...(options.listen ? { listen: options.listen } : {}),
      });
      if (code !== 0) ctx.exitCode = code;
    });
  addExamples(command, [
    ['safe-updater watch', 'run until stopped (SIGTERM / Ctrl-C)'],
    ['safe-updater watch --interval 1m', 'a round every minute'],
    ['safe-updater watch --once', 'one round, then exit'],
    ['safe-updater watch --listen 0.0.0.0:8080', 'with probes, metrics, the API and webhooks'],
  ]);
}
