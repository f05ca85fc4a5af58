import { describe, expect, it } from 'vitest';
import type { ContainerInspect, ContainerState } from '../../docker/types.js';
import { assessContainer } from './container-health.js';

const now = new Date('2026-01-01T00:01:00Z');

function inspect(state: Partial<ContainerState>, extra: Partial<ContainerInspect> = {}): ContainerInspect {
  return {
    Id: 'c1',
    Name: '/web',
    Image: 'sha256:new',
    RestartCount: 0,
    State: {
      Status: 'running',
      Running: true,
      Restarting: false,
      ExitCode: 0,
      StartedAt: '2026-01-01T00:00:00Z',
      ...state,
    },
    Config: {},
    HostConfig: {},
    ...extra,
  };
}

describe('assessContainer', () => {
  it('is healthy once running past the stability window without a restart', () => {
    expect(assessContainer(inspect({}), { now, stableMs: 5_000 }).phase).toBe('healthy');
    expect(
      assessContainer(inspect({ StartedAt: '2026-01-01T00:00:58Z' }), { now, stableMs: 5_000 }).phase,
    ).toBe('waiting');
  });

  it('fails at once on an exit, a restart or an unhealthy HEALTHCHECK', () => {
    const exited = assessContainer(inspect({ Running: false, Status: 'exited', ExitCode: 1 }), {
      now,
      stableMs: 0,
    });
    expect(exited).toMatchObject({ phase: 'failed', signal: 'container web exited with code 1' });
    expect(assessContainer(inspect({}, { RestartCount: 2 }), { now, stableMs: 0 })).toMatchObject({
      phase: 'failed',
      message: 'container web restarted 2 time(s)',
    });
    expect(
      assessContainer(inspect({}, { RestartCount: 2 }), { now, stableMs: 0, restartBaseline: 2 }).phase,
    ).toBe('healthy');
    const hc = { Config: { Healthcheck: { Test: ['CMD', 'true'] } } };
    const unhealthy = inspect(
      { Health: { Status: 'unhealthy', Log: [{ ExitCode: 1, Output: 'boom' }] } },
      hc,
    );
    expect(assessContainer(unhealthy, { now, stableMs: 0 })).toMatchObject({
      phase: 'failed',
      signal: 'HEALTHCHECK of container web unhealthy: boom',
    });
  });

  it('waits for a HEALTHCHECK to report healthy and for a created container to start', () => {
    const hc = { Config: { Healthcheck: { Test: ['CMD', 'true'] } } };
    expect(assessContainer(inspect({ Health: { Status: 'starting' } }, hc), { now, stableMs: 0 }).phase).toBe(
      'waiting',
    );
    expect(assessContainer(inspect({ Health: { Status: 'healthy' } }, hc), { now, stableMs: 0 }).phase).toBe(
      'healthy',
    );
    expect(assessContainer(inspect({ Running: false, Status: 'created' }), { now, stableMs: 0 }).phase).toBe(
      'waiting',
    );
    const disabled = { Config: { Healthcheck: { Test: ['NONE'] } } };
    expect(assessContainer(inspect({}, disabled), { now, stableMs: 0 }).phase).toBe('healthy');
  });
});
