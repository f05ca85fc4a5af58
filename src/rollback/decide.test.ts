import { describe, expect, it } from 'vitest';
import type { HealthStatus } from '../core/model.js';
import type { FailedVersion } from '../state/types.js';
import { describeLoop, isRollbackLoop, rememberedFailure, shouldRollback, windowStart } from './decide.js';

const base: HealthStatus = {
  healthy: true,
  verdict: 'healthy',
  readyReplicas: 1,
  totalReplicas: 1,
  healthPercentage: 100,
  checksPassed: [],
  checksFailed: [],
  message: 'ok',
};

function failedVersion(version: string, digest: string | null): FailedVersion {
  return { assetId: 'helm/demo/web', version, digest, reason: 'CrashLoopBackOff', at: new Date(0) };
}

describe('shouldRollback', () => {
  it('keeps only a proven-healthy update', () => {
    expect(shouldRollback(base)).toBe(false);
    expect(shouldRollback({ ...base, healthy: false, verdict: 'failed' })).toBe(true);
    expect(shouldRollback({ ...base, healthy: false, verdict: 'degraded' })).toBe(true);
  });
});

describe('rememberedFailure', () => {
  const memory = [failedVersion('1.2.0', null), failedVersion('latest', 'sha256:aaa')];

  it('finds a version that failed before', () => {
    expect(rememberedFailure(memory, { version: '1.2.0' })?.reason).toBe('CrashLoopBackOff');
    expect(rememberedFailure(memory, { version: '1.2.0', digest: 'sha256:any' })).toBeDefined();
  });

  it('lets a newer version through', () => {
    expect(rememberedFailure(memory, { version: '1.3.0' })).toBeUndefined();
  });

  it('treats a moved tag (new digest) as a new build', () => {
    expect(rememberedFailure(memory, { version: 'latest', digest: 'sha256:bbb' })).toBeUndefined();
    expect(rememberedFailure(memory, { version: 'latest', digest: 'sha256:aaa' })).toBeDefined();
  });
});

describe('loop detection', () => {
  const limits = { maxRollbacks: 3, windowMs: 3_600_000 };

  it('calls the third rollback within the window a loop', () => {
    expect(isRollbackLoop(2, limits)).toBe(false);
    expect(isRollbackLoop(3, limits)).toBe(true);
  });

  it('counts from one window before now', () => {
    expect(windowStart(new Date('2026-01-01T01:00:00Z'), limits).toISOString()).toBe(
      '2026-01-01T00:00:00.000Z',
    );
  });

  it('says what happened in words', () => {
    expect(describeLoop(3, limits)).toBe('rollback loop: 3 rollbacks within 60 min (limit 3)');
  });
});
