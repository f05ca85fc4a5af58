/**
 * The daemon's Prometheus metrics (prom-client), in a registry of their own so several servers (tests, two
 * replicas in one process) never collide in prom-client's global one.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { UpdateRecord } from '../state/types.js';

export interface MetricsOptions {
  /** Process metrics (RSS, CPU, event-loop lag) as well; off in tests. */
  processMetrics?: boolean;
}

export interface DaemonMetrics {
  readonly registry: Registry;
  /** A finished update: `result` is its terminal state (succeeded, rolled-back, failed, …). */
  recordUpdate(kind: string, result: string, durationSeconds: number): void;
  recordRollback(kind: string): void;
  /** One finished health check. */
  observeHealthCheck(type: string, result: 'passed' | 'failed', seconds: number): void;
  countRegistryRequest(registry: string, status: string): void;
  setAssets(countsByKind: Readonly<Record<string, number>>): void;
  setQueueDepth(depth: number): void;
  setLeader(leader: boolean): void;
}

export function createMetrics(options: MetricsOptions = {}): DaemonMetrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'safe_updater_' });
  const updates = new Counter({
    name: 'safe_updater_updates_total',
    help: 'Finished updates by asset kind and result (the terminal state).',
    labelNames: ['kind', 'result'] as const,
    registers: [registry],
  });
  const rollbacks = new Counter({
    name: 'safe_updater_rollbacks_total',
    help: 'Rollbacks started, automatic or manual, by asset kind.',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'safe_updater_update_duration_seconds',
    // No labels: the outcome is in updates_total; one series keeps the histogram cheap to scrape.
    help: 'Time from queued to a terminal state.',
    // Updates take from seconds (a Docker recreate) to tens of minutes (a slow Helm rollout).
    buckets: [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600],
    registers: [registry],
  });
  const healthChecks = new Histogram({
    name: 'safe_updater_health_check_duration_seconds',
    help: 'Health-check latency by check type and result.',
    labelNames: ['type', 'result'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const registryRequests = new Counter({
    name: 'safe_updater_registry_requests_total',
    help: 'Requests to registries and chart repositories by host and HTTP status (or error).',
    labelNames: ['registry', 'status'] as const,
    registers: [registry],
  });
  const assets = new Gauge({
    name: 'safe_updater_assets',
    help: 'Assets known to the journal, by kind.',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const queueDepth = new Gauge({
    name: 'safe_updater_queue_depth',
    help: 'Updates waiting in the queue.',
    registers: [registry],
  });
  const leader = new Gauge({
    name: 'safe_updater_leader',
    help: '1 while this replica holds the leader lease.',
    registers: [registry],
  });
  leader.set(0);
  queueDepth.set(0);
  return {
    registry,
    recordUpdate(kind, result, seconds) {
      updates.inc({ kind, result });
      duration.observe(Math.max(0, seconds));
    },
    recordRollback: (kind) => rollbacks.inc({ kind }),
    observeHealthCheck: (type, result, seconds) => healthChecks.observe({ type, result }, seconds),
    countRegistryRequest: (host, status) => registryRequests.inc({ registry: host, status }),
    setAssets(countsByKind) {
      assets.reset();
      for (const [kind, count] of Object.entries(countsByKind)) assets.set({ kind }, count);
    },
    setQueueDepth: (depth) => queueDepth.set(depth),
    setLeader: (isLeader) => leader.set(isLeader ? 1 : 0),
  };
}

/** Counts a record that reached a terminal state (and its rollback, when there was one). */
export function recordFinishedUpdate(metrics: DaemonMetrics, record: UpdateRecord): void {
  const seconds = (record.updatedAt.getTime() - record.createdAt.getTime()) / 1000;
  metrics.recordUpdate(record.assetKind, record.state, seconds);
  if (record.state === 'rolled-back' || record.state === 'rollback-failed') {
    metrics.recordRollback(record.assetKind);
  }
}
