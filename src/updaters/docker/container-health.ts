/**
 * Reads one inspect of a freshly started container as healthy, still settling, or failed. Definite failure
 * signals fail at once instead of waiting out the deadline: the container exited, it restarted (a new
 * container starts at RestartCount 0, so any restart means it crashed), or its HEALTHCHECK says unhealthy.
 */
import type { ContainerInspect } from '../../docker/types.js';

export type ContainerAssessment =
  | { phase: 'healthy'; message: string }
  | { phase: 'waiting'; message: string }
  | { phase: 'failed'; message: string; signal: string };

export interface AssessOptions {
  now: Date;
  /** How long the container must have been running, without a restart, to count as up. */
  stableMs: number;
  /** Restarts seen before watching began (a restored old container keeps its count). Default 0. */
  restartBaseline?: number;
}

export function hasHealthcheck(container: ContainerInspect): boolean {
  const test = container.Config.Healthcheck?.Test;
  return Array.isArray(test) && test.length > 0 && test[0] !== 'NONE';
}

export function assessContainer(container: ContainerInspect, options: AssessOptions): ContainerAssessment {
  const name = container.Name.replace(/^\//, '');
  const state = container.State;
  const restarts = (container.RestartCount ?? 0) - (options.restartBaseline ?? 0);
  if (restarts > 0) {
    return {
      phase: 'failed',
      message: `container ${name} restarted ${restarts} time(s)`,
      signal: `container ${name} restarting (RestartCount ${restarts}, last exit code ${state.ExitCode})`,
    };
  }
  if (state.Restarting) {
    return {
      phase: 'failed',
      message: `container ${name} is restarting`,
      signal: `container ${name} restarting (exit code ${state.ExitCode})`,
    };
  }
  if (!state.Running) {
    if (state.Status === 'created' || state.Status === 'configured') {
      return { phase: 'waiting', message: `container ${name} is created but not started` };
    }
    const oom = state.OOMKilled ? ', OOM-killed' : '';
    const error = state.Error ? `: ${state.Error}` : '';
    return {
      phase: 'failed',
      message: `container ${name} is ${state.Status}`,
      signal: `container ${name} exited with code ${state.ExitCode}${oom}${error}`,
    };
  }
  if (hasHealthcheck(container)) {
    const health = state.Health?.Status ?? 'starting';
    if (health === 'unhealthy') {
      const last = state.Health?.Log?.at(-1)?.Output?.trim().slice(0, 160);
      return {
        phase: 'failed',
        message: `container ${name} is unhealthy`,
        signal: `HEALTHCHECK of container ${name} unhealthy${last ? `: ${last}` : ''}`,
      };
    }
    if (health !== 'healthy')
      return { phase: 'waiting', message: `container ${name} HEALTHCHECK is ${health}` };
  }
  const started = state.StartedAt ? Date.parse(state.StartedAt) : NaN;
  const upMs = Number.isNaN(started) ? 0 : options.now.getTime() - started;
  if (upMs < options.stableMs) {
    return {
      phase: 'waiting',
      message: `container ${name} running for ${Math.max(0, Math.round(upMs / 1000))} s`,
    };
  }
  const how = hasHealthcheck(container) ? 'running and healthy' : 'running';
  return { phase: 'healthy', message: `container ${name} ${how}, no restarts` };
}
