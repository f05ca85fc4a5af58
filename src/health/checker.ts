/**
 * Runs an asset's configured health checks (http, tcp, exec), each with its own retries and backoff,
 * and reports one CheckReport per check.
 */
import type { Clock } from '../core/clock.js';
import type { Asset, HealthCheckSpec } from '../core/model.js';
import { checkExec, type CommandExecutor } from './checks/exec.js';
import { checkHttp } from './checks/http.js';
import { checkTcp } from './checks/tcp.js';
import { retryCheck, type CheckOutcome } from './retry.js';

export interface CheckReport {
  name: string;
  type: HealthCheckSpec['type'];
  ok: boolean;
  /** Meaningful when !ok: the last failure may pass by itself. */
  transient: boolean;
  message: string;
  attempts: number;
}

export interface HealthCheckerOptions {
  clock: Clock;
  /** Runs exec checks; exec checks fail (transiently) with a clear message when none is given. */
  executor?: CommandExecutor;
  /** Extra trusted CA for https checks (PEM). */
  ca?: string | Buffer;
  random?: () => number;
  defaults?: { timeoutMs?: number; retries?: number; intervalMs?: number };
  /** Told about each finished check with its wall-clock duration (the daemon's latency histogram). */
  onChecked?: (report: CheckReport, seconds: number) => void;
}

export interface RunChecksOptions {
  signal?: AbortSignal;
  deadline?: Date;
}

export interface HealthChecker {
  run(spec: HealthCheckSpec, asset: Asset, options?: RunChecksOptions): Promise<CheckReport>;
  runAll(specs: readonly HealthCheckSpec[], asset: Asset, options?: RunChecksOptions): Promise<CheckReport[]>;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_RETRIES = 3;
const DEFAULT_INTERVAL_MS = 1_000;
/** The backoff never grows past this many intervals: checks run inside a bounded verification window. */
const MAX_BACKOFF_INTERVALS = 8;

export function createHealthChecker(options: HealthCheckerOptions): HealthChecker {
  const attemptOnce = (
    spec: HealthCheckSpec,
    asset: Asset,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<CheckOutcome> => {
    switch (spec.type) {
      case 'http':
        return checkHttp({
          url: spec.url,
          method: spec.method,
          headers: spec.headers,
          expectStatus: spec.expectStatus,
          expectBody: spec.expectBody,
          insecureSkipVerify: spec.insecureSkipVerify,
          ca: options.ca,
          timeoutMs,
          signal,
        });
      case 'tcp':
        return checkTcp({ host: spec.host, port: spec.port, timeoutMs, signal });
      case 'exec':
        if (!options.executor) {
          return Promise.resolve({
            ok: false,
            transient: false,
            message: `exec checks are not available for ${asset.kind} assets`,
          });
        }
        return checkExec(options.executor, {
          asset,
          command: spec.command,
          container: spec.container,
          timeoutMs,
          signal,
        });
    }
  };

  const run = async (
    spec: HealthCheckSpec,
    asset: Asset,
    runOptions: RunChecksOptions = {},
  ): Promise<CheckReport> => {
    const started = performance.now();
    const timeoutMs = spec.timeoutMs ?? options.defaults?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const intervalMs = spec.intervalMs ?? options.defaults?.intervalMs ?? DEFAULT_INTERVAL_MS;
    const { outcome, attempts } = await retryCheck(
      () => attemptOnce(spec, asset, timeoutMs, runOptions.signal),
      {
        retries: spec.retries ?? options.defaults?.retries ?? DEFAULT_RETRIES,
        baseDelayMs: intervalMs,
        maxDelayMs: intervalMs * MAX_BACKOFF_INTERVALS,
        clock: options.clock,
        random: options.random,
        signal: runOptions.signal,
        deadline: runOptions.deadline,
      },
    );
    const report: CheckReport = {
      name: spec.name,
      type: spec.type,
      ok: outcome.ok,
      transient: !outcome.ok && outcome.transient,
      message: outcome.message,
      attempts,
    };
    options.onChecked?.(report, (performance.now() - started) / 1000);
    return report;
  };

  return {
    run,
    runAll: (specs, asset, runOptions) => Promise.all(specs.map((spec) => run(spec, asset, runOptions))),
  };
}
