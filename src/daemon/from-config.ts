/**
 * CLI wiring of the daemon: Config → DaemonDeps, the HTTP server's deps, the leader lock. Loaded lazily by
 * `watch` and `serve` (it pulls in the Kubernetes client, fastify and the whole workflow).
 *
 * Leader election: a coordination.k8s.io Lease `safe-updater-leader` in $POD_NAMESPACE when the daemon runs
 * in a cluster (the Helm chart sets POD_NAMESPACE), else the journal's lease row (replicas sharing a
 * PostgreSQL journal, or a single process).
 */
import { ExitCode, ConfigError, errorMessage } from '../core/errors.js';
import type { Asset } from '../core/model.js';
import { parseDuration } from '../config/duration.js';
import type { Config } from '../config/schema.js';
import type { CliContext } from '../cli/context.js';
import { openPipeline, type Pipeline } from '../cli/pipeline.js';
import { createDeliverer } from '../notify/deliver.js';
import { createKubeClients } from '../kubernetes/client.js';
import {
  JournalLeaseLock,
  KubernetesLeaseLock,
  LeaderElector,
  leaderIdentity,
  type LeaderLock,
} from '../orchestrator/leader.js';
import {
  DEPENDS_ON_KEY,
  annotatedDependencies,
  unresolvedDependencies,
} from '../orchestrator/dependencies.js';
import { outcomeError } from '../orchestrator/run-update.js';
import { policyForAsset } from '../policy/annotations.js';
import { annotatedPollSchedule } from '../policy/poll-schedule.js';
import type { PolicyBook } from '../policy/policies.js';
import { startServer, type ListeningServer, type ServerDeps } from '../server/app.js';
import { createMetrics, type DaemonMetrics } from '../server/metrics.js';
import { assetsForPush } from '../server/registry-events.js';
import { runScan } from '../scan/scan.js';
import { dependencyAssetIds } from '../sources/docker.js';
import type { Journal } from '../state/types.js';
import { createDaemon, type DaemonControl, type DaemonResult } from './daemon.js';

export const LEASE_NAME = 'safe-updater-leader';
const LEASE_DURATION_MS = 15_000;

/** host:port → { host, port }; [::1]:8080 too. */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:]+)\]|([^:\s]+)):(\d{1,5})$/.exec(value.trim());
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port > 65535) {
    throw new ConfigError(`listen address '${value}' is not host:port`, { hint: 'e.g. 127.0.0.1:8080' });
  }
  return { host: match[1] ?? match[2] ?? '127.0.0.1', port };
}

/** "10%" → 0.1 */
export function parseJitter(value: string): number {
  const percent = Number(value.replace(/%$/, ''));
  if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
    throw new ConfigError(`watch.jitter '${value}' is not a percentage from 0% to 100%`);
  }
  return percent / 100;
}

/** API tokens and webhook secrets, from the configuration and the environment variables it names. */
export function serverSecrets(
  config: Config,
  env: NodeJS.ProcessEnv,
): { apiTokens: string[]; webhookSecret?: string; hmacSecret?: string } {
  const fromEnv = (name: string | undefined): string | undefined => {
    if (!name) return undefined;
    const value = env[name];
    if (value === undefined || value.trim() === '') {
      throw new ConfigError(`environment variable ${name} (named in the server configuration) is not set`);
    }
    return value.trim();
  };
  const envTokens = (fromEnv(config.server.tokenEnv) ?? '')
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token.length > 0);
  const webhookSecret = fromEnv(config.server.webhookSecretEnv) ?? config.server.webhookSecret;
  const hmacSecret = fromEnv(config.server.webhookHmacSecretEnv);
  return {
    apiTokens: [...config.server.tokens, ...envTokens],
    ...(webhookSecret ? { webhookSecret } : {}),
    ...(hmacSecret ? { hmacSecret } : {}),
  };
}

/** The policy's update windows as a queue gate: null when one is open (or there are none). */
export function windowGate(book: PolicyBook): (asset: Asset, now: Date) => string | null {
  return (asset, now) => {
    let windows;
    try {
      windows = policyForAsset(asset, book).windows;
    } catch (error) {
      return `invalid policy: ${errorMessage(error)}`;
    }
    if (windows.length === 0 || windows.some((window) => window.isOpen(now))) return null;
    const next = windows
      .map((window) => window.nextOpening(now))
      .filter((date): date is Date => date !== undefined)
      .sort((a, b) => a.getTime() - b.getTime())[0];
    return `outside the update windows ${windows.map((w) => w.text).join(', ')}${
      next ? `; next opening ${next.toISOString()}` : ''
    }`;
  };
}

function leaderLock(config: Config, journal: Journal, env: NodeJS.ProcessEnv): LeaderLock {
  const namespace = env.POD_NAMESPACE;
  if (config.kubernetes.enabled && namespace) {
    const clients = createKubeClients({
      ...(config.kubernetes.kubeconfig ? { kubeconfig: config.kubernetes.kubeconfig } : {}),
      ...(config.kubernetes.context ? { context: config.kubernetes.context } : {}),
    });
    return new KubernetesLeaseLock({
      clients,
      namespace,
      name: LEASE_NAME,
      leaseDurationMs: LEASE_DURATION_MS,
    });
  }
  return new JournalLeaseLock({ journal, name: 'leader', leaseDurationMs: LEASE_DURATION_MS });
}

export interface WatchRun {
  intervalMs?: number;
  once?: boolean;
  listen?: string;
}

function serverDeps(
  ctx: CliContext,
  config: Config,
  journal: Journal,
  metrics: DaemonMetrics,
  control?: DaemonControl,
): ServerDeps {
  const secrets = serverSecrets(config, ctx.io.env);
  if (secrets.apiTokens.length === 0) {
    ctx.logger.warn(
      'no API tokens configured (server.tokens / server.tokenEnv): the REST API refuses every request',
    );
  }
  const hasHookSecret = secrets.webhookSecret !== undefined || secrets.hmacSecret !== undefined;
  return {
    journal,
    metrics,
    clock: ctx.clock,
    apiTokens: secrets.apiTokens,
    logger: ctx.logger,
    ...(control
      ? {
          isLeader: () => control.isLeader(),
          queueDepth: () => control.scheduler.queue.depth,
          queueStatus: () => control.scheduler.status(),
          onPauseChanged: (assetId: string, paused: boolean) => {
            if (paused) control.scheduler.pauseAsset(assetId);
            else control.scheduler.resumeAsset(assetId);
          },
          onApprovalDecided: () => control.wake(),
          onUpdateCancelled: (updateId: string) => control.forget(updateId),
          onUpdateRequested: (images: string[]) => {
            if (images.length === 0) control.wake();
            for (const image of images) {
              control.onImagePushed({ registry: null, repository: image, tag: null, digest: null });
            }
          },
        }
      : { isLeader: () => false }),
    ...(control && hasHookSecret
      ? {
          registryHook: {
            ...(secrets.webhookSecret ? { secret: secrets.webhookSecret } : {}),
            ...(secrets.hmacSecret ? { hmacSecret: secrets.hmacSecret } : {}),
            onImagePushed: (push) => {
              control.onImagePushed(push);
            },
          },
        }
      : {}),
  };
}

/** The exit code of `watch --once`: the worst outcome of its updates, 5 for failed lookups, else 0. */
export function onceExitCode(result: DaemonResult): ExitCode {
  const errors = result.results.map(outcomeError).filter((error) => error !== undefined);
  const rollbackFailed = errors.find((error) => error.exitCode === ExitCode.rollbackFailed);
  if (rollbackFailed) return rollbackFailed.exitCode;
  if (errors[0]) return errors[0].exitCode;
  if (result.unsettled.some((entry) => entry.outcome === 'failed')) return ExitCode.failed;
  if ((result.lastCycle?.lookupFailures ?? 0) > 0) return ExitCode.unavailable;
  return ExitCode.ok;
}

/** Stops on SIGTERM/SIGINT: the returned signal aborts; a second signal is left to the default (exit). */
function stopSignal(ctx: CliContext): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = (name: NodeJS.Signals): void => {
    ctx.logger.info(`${name}: stopping (running updates are aborted and journaled)`);
    controller.abort(new Error(name));
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
    },
  };
}

async function listen(
  ctx: CliContext,
  deps: ServerDeps,
  address: { host: string; port: number },
): Promise<ListeningServer> {
  const server = await startServer(deps, address);
  ctx.logger.info({ url: server.url }, `listening on ${server.url}`);
  ctx.note(`listening on ${server.url}`);
  return server;
}

/** `safe-updater watch`: returns the exit code. */
export async function runWatch(ctx: CliContext, run: WatchRun): Promise<ExitCode> {
  // A bad address is a usage problem: said before anything is opened.
  const address = run.listen === undefined ? undefined : parseListen(run.listen);
  const metrics = createMetrics({ processMetrics: true });
  const pipeline: Pipeline = await openPipeline(ctx, {
    healthCheck: (report, seconds) =>
      metrics.observeHealthCheck(report.type, report.ok ? 'passed' : 'failed', seconds),
  });
  const { config, journal } = pipeline;
  const evaluation = await pipeline.evaluation();
  const onRegistryResponse = (host: string, status: number | 'error'): void =>
    metrics.countRegistryRequest(host, String(status));
  const once = run.once === true;
  const daemon = createDaemon(
    {
      journal,
      clock: ctx.clock,
      logger: ctx.logger,
      workflow: pipeline.workflow(),
      scan: async ({ signal, select }) => {
        const deps = await pipeline.scan({ onRegistryResponse });
        const base = deps.select;
        return runScan({
          ...deps,
          signal,
          actor: 'daemon',
          select: (asset) => (base?.(asset) ?? true) && (select?.(asset) ?? true),
        });
      },
      dependsOn: (asset, known) => {
        const missing = unresolvedDependencies(asset, known);
        if (missing.length > 0) {
          ctx.logger.warn(
            { assetId: asset.id, missing },
            `${asset.id}: ${DEPENDS_ON_KEY} names no watched asset: ${missing.join(', ')}`,
          );
        }
        const docker = asset.kind === 'docker' ? dependencyAssetIds(asset) : [];
        return [...new Set([...docker, ...annotatedDependencies(asset, known)])];
      },
      windowGate: windowGate(evaluation.policies),
      pollScheduleOf: (asset) =>
        annotatedPollSchedule(asset) ?? policyForAsset(asset, evaluation.policies).schedule,
      assetsForPush,
      metrics,
      ...(once
        ? {}
        : {
            elector: new LeaderElector({
              lock: leaderLock(config, journal, ctx.io.env),
              identity: leaderIdentity(),
              renewIntervalMs: 2_000,
              renewDeadlineMs: 10_000,
              logger: ctx.logger,
            }),
          }),
      ...(config.notifications.length > 0
        ? {
            deliverer: createDeliverer({
              journal,
              clock: ctx.clock,
              channels: config.notifications,
              logger: ctx.logger,
            }),
          }
        : {}),
    },
    {
      intervalMs: run.intervalMs ?? parseDuration(config.watch.interval ?? config.orchestrator.interval),
      jitter: parseJitter(config.watch.jitter),
      once,
      maxConcurrent: config.orchestrator.maxConcurrent,
      ...(config.orchestrator.maxConcurrentPerNamespace
        ? { maxConcurrentPerNamespace: config.orchestrator.maxConcurrentPerNamespace }
        : {}),
      updateTimeoutMs: parseDuration(config.rollback.timeout),
      approvalTimeoutMs: parseDuration(config.watch.approvalTimeout),
    },
  );
  const stop = stopSignal(ctx);
  let server: ListeningServer | undefined;
  try {
    if (address)
      server = await listen(ctx, serverDeps(ctx, config, journal, metrics, daemon.control), address);
    const result = await daemon.run(stop.signal);
    ctx.logger.info({ cycles: result.cycles, updates: result.results.length }, 'daemon stopped');
    const summary = {
      cycles: result.cycles,
      updates: result.results.map((r) => ({
        assetId: r.assetId,
        outcome: r.outcome,
        updateId: r.record?.id ?? null,
        from: r.record?.fromVersion ?? null,
        to: r.record?.toVersion ?? null,
        reason: r.record?.reason ?? null,
      })),
      unsettled: result.unsettled,
      lastCycle: result.lastCycle ?? null,
    };
    ctx.print(
      summary.updates.map((u) => `${u.assetId}: ${u.from ?? '?'} → ${u.to ?? '?'} ${u.outcome}`).join('\n') ||
        `${result.cycles} checks, no updates`,
      summary,
    );
    return once ? onceExitCode(result) : ExitCode.ok;
  } finally {
    stop.dispose();
    await server?.close();
  }
}

/** `safe-updater serve`: the HTTP server only (no updates); returns once stopped. */
export async function runServe(ctx: CliContext, listenOn: string): Promise<void> {
  const address = parseListen(listenOn);
  const { config } = await ctx.config();
  const journal = await ctx.journal();
  const stop = stopSignal(ctx);
  const server = await listen(
    ctx,
    serverDeps(ctx, config, journal, createMetrics({ processMetrics: true })),
    address,
  );
  try {
    await new Promise<void>((resolve) => {
      if (stop.signal.aborted) resolve();
      stop.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    stop.dispose();
    await server.close();
  }
}
