/**
 * The daemon's HTTP server (fastify 5): probes, Prometheus metrics, the REST API and the registry webhook
 * receiver. Everything it touches is handed in (`ServerDeps`), so tests build it over an in-memory journal
 * and `inject()`, and `serve`/`watch` build it over the real journal, queue and leader elector.
 *
 *   GET  /healthz                         liveness: the process answers
 *   GET  /readyz                          readiness: the journal answers; says whether this replica leads
 *   GET  /metrics                         Prometheus text format
 *   /api/v1/…                             REST API, `Authorization: Bearer TOKEN` (see ./api.ts)
 *   POST /hooks/registry                  registry webhooks, shared secret or HMAC (see ./hooks.ts)
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  ConflictError,
  ConfigError,
  NotFoundError,
  PolicyError,
  UsageError,
  errorMessage,
} from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { redactString } from '../core/redact.js';
import type { Approval, Journal } from '../state/types.js';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import { registerApi } from './api.js';
import { refuseWithoutToken } from './auth.js';
import { registerRegistryHooks, type RegistryHookOptions } from './hooks.js';
import type { DaemonMetrics } from './metrics.js';
import type { QueueStatus } from '../orchestrator/queue.js';

export interface ServerDeps {
  journal: Journal;
  metrics: DaemonMetrics;
  clock?: Clock;
  /** Bearer tokens the API accepts; with none, every API request is refused. */
  apiTokens: readonly string[];
  /** Whether this replica leads (holds the Lease); reported by /readyz and the leader gauge. */
  isLeader?: () => boolean;
  /** Updates waiting in the queue, for the queue-depth gauge. */
  queueDepth?: () => number;
  /** The queue as GET /api/v1/queue shows it (QueueScheduler.queue.status()); 404 without it. */
  queueStatus?: () => QueueStatus;
  /** Told after the API paused or resumed an asset (the journal is already written), e.g. the scheduler. */
  onPauseChanged?: (assetId: string, paused: boolean) => void;
  /** Told after the API decided an approval (the journal is already written). */
  onApprovalDecided?: (approval: Approval) => void;
  /** A queued update was cancelled through the API (the journal is already updated). */
  onUpdateCancelled?: (updateId: string) => void;
  /**
   * Watchtower's HTTP API trigger (`/v1/update`, `?image=a,b` to limit it): a check now, of everything or of
   * the assets using those images. 404 without it (`serve`, which runs no daemon).
   */
  onUpdateRequested?: (images: string[]) => void;
  /** The registry webhook receiver; /hooks/registry answers 404 without it. */
  registryHook?: RegistryHookOptions;
  logger?: Logger;
}

function statusOf(error: unknown): number {
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ConflictError) return 409;
  if (error instanceof PolicyError) return 403;
  if (error instanceof UsageError || error instanceof ConfigError) return 400;
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger as FastifyBaseLogger } : { logger: false }),
    logController: new LogController({ disableRequestLogging: true }),
  });
  const clock = deps.clock ?? systemClock;

  app.setErrorHandler((error, request, reply) => {
    const status = statusOf(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    void reply.status(status).send({ error: redactString(errorMessage(error)) });
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const leader = deps.isLeader?.() ?? true;
    try {
      // The cheapest read the contract has: proves the database answers.
      await deps.journal.getLease('leader');
      return { status: 'ready', leader };
    } catch (error) {
      return reply
        .status(503)
        .send({ status: 'unavailable', leader, error: redactString(errorMessage(error)) });
    }
  });

  app.get('/metrics', async (_request, reply) => {
    deps.metrics.setLeader(deps.isLeader?.() ?? false);
    if (deps.queueDepth) deps.metrics.setQueueDepth(deps.queueDepth());
    const counts: Record<string, number> = {};
    for (const asset of await deps.journal.listAssets()) counts[asset.kind] = (counts[asset.kind] ?? 0) + 1;
    deps.metrics.setAssets(counts);
    return reply
      .header('content-type', deps.metrics.registry.contentType)
      .send(await deps.metrics.registry.metrics());
  });

  await app.register(async (api) => registerApi(api, { ...deps, clock }), { prefix: '/api/v1' });
  const onUpdateRequested = deps.onUpdateRequested;
  if (onUpdateRequested) {
    // Watchtower users trigger updates with `curl -H "Authorization: Bearer TOKEN" host:8080/v1/update`.
    app.route({
      method: ['GET', 'POST'],
      url: '/v1/update',
      handler: async (request, reply) => {
        const refused = refuseWithoutToken(request, reply, deps.apiTokens);
        if (refused) return refused;
        const query = request.query as Record<string, string | undefined>;
        const images = (query.image ?? '')
          .split(',')
          .map((image) => image.trim())
          .filter((image) => image.length > 0);
        onUpdateRequested(images);
        return { accepted: true, images };
      },
    });
  }
  if (deps.registryHook) {
    const hook = deps.registryHook;
    await app.register(async (hooks) => registerRegistryHooks(hooks, hook), { prefix: '/hooks' });
  }
  return app;
}

export interface ListeningServer {
  app: FastifyInstance;
  /** http://host:port */
  url: string;
  close(): Promise<void>;
}

/** Builds the server and listens on host:port (port 0: any free port). */
export async function startServer(
  deps: ServerDeps,
  listen: { host: string; port: number },
): Promise<ListeningServer> {
  const app = await buildServer(deps);
  await app.listen({ host: listen.host, port: listen.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : listen.port;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return { app, url: `http://${host}:${port}`, close: () => app.close() };
}
