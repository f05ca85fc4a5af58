import { describe, expect, it } from 'vitest';
import type { HealthStatus } from '../core/model.js';
import { aggregateHealth } from './aggregate.js';
import type { CheckReport } from './checker.js';

const rollout: HealthStatus = {
  healthy: true,
  verdict: 'healthy',
  readyReplicas: 2,
  totalReplicas: 2,
  healthPercentage: 100,
  checksPassed: ['rollout'],
  checksFailed: [],
  message: '2/2 replicas ready',
};

const passed: CheckReport = {
  name: 'web-http',
  type: 'http',
  ok: true,
  transient: false,
  message: 'status 200',
  attempts: 1,
};
const failed: CheckReport = {
  name: 'db-tcp',
  type: 'tcp',
  ok: false,
  transient: true,
  message: 'tcp 127.0.0.1:5432: ECONNREFUSED',
  attempts: 4,
};

describe('aggregateHealth', () => {
  it('is healthy when the rollout and every check pass', () => {
    const status = aggregateHealth(rollout, [passed]);
    expect(status.verdict).toBe('healthy');
    expect(status.healthy).toBe(true);
    expect(status.checksPassed).toEqual(['rollout', 'web-http']);
    expect(status.signal).toBeUndefined();
  });

  it('fails on one failed check although pods are ready, naming the check as the signal', () => {
    const status = aggregateHealth(rollout, [passed, failed]);
    expect(status.verdict).toBe('failed');
    expect(status.healthy).toBe(false);
    expect(status.readyReplicas).toBe(2);
    expect(status.checksFailed).toEqual(['db-tcp']);
    expect(status.signal).toBe('tcp check db-tcp failed after 4 attempts: tcp 127.0.0.1:5432: ECONNREFUSED');
  });

  it("keeps the updater's own failure signal first", () => {
    const crashing: HealthStatus = {
      ...rollout,
      healthy: false,
      verdict: 'failed',
      readyReplicas: 0,
      signal: 'pod web-7d9 container app: CrashLoopBackOff, 3 restarts',
    };
    expect(aggregateHealth(crashing, [failed]).signal).toBe(
      'pod web-7d9 container app: CrashLoopBackOff, 3 restarts',
    );
  });

  it('stays degraded when the updater says degraded and the checks pass', () => {
    expect(aggregateHealth({ ...rollout, healthy: false, verdict: 'degraded' }, [passed]).verdict).toBe(
      'degraded',
    );
  });

  it('computes a percentage from the checks alone when there is no updater status', () => {
    const status = aggregateHealth(undefined, [passed, failed]);
    expect(status.healthPercentage).toBe(50);
    expect(status.verdict).toBe('failed');
  });
});
