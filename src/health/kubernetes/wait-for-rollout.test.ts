import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import { ExternalHostError } from '../../core/errors.js';
import { toWorkload } from '../../kubernetes/workloads.js';
import { rolloutStatus } from './rollout-status.js';
import { assessRollout, waitForRollout, type WorkloadObservation } from './wait-for-rollout.js';

function observation(status: V1Deployment['status'], pods: V1Pod[] = []): WorkloadObservation {
  const workload = toWorkload({
    kind: 'Deployment',
    object: {
      metadata: { name: 'web', namespace: 'ns', generation: 2 },
      spec: { replicas: 1, selector: {}, template: { spec: { containers: [{ name: 'app' }] } } },
      status: { observedGeneration: 2, ...status },
    },
  });
  return { workload, rollout: rolloutStatus(workload), pods };
}

const progressing = observation({ replicas: 2, updatedReplicas: 1, readyReplicas: 1 });
const done = observation({ replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 });
const crashing = observation({ replicas: 2, updatedReplicas: 1, readyReplicas: 1 }, [
  {
    metadata: { name: 'web-new' },
    status: {
      containerStatuses: [
        {
          name: 'app',
          image: 'a',
          imageID: '',
          ready: false,
          restartCount: 1,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
        },
      ],
    },
  },
]);

/** Runs waitForRollout against a scripted sequence of observations, advancing the manual clock on each sleep. */
async function run(sequence: (WorkloadObservation[] | Error)[], timeoutMs: number) {
  const clock = new ManualClock();
  let calls = 0;
  const observe = async (): Promise<WorkloadObservation[]> => {
    const next = sequence[Math.min(calls++, sequence.length - 1)];
    if (next instanceof Error) throw next;
    return next ?? [];
  };
  // Settle into a value at once, so a rejection is handled while the clock is still being advanced.
  const settled = waitForRollout({ observe, timeoutMs, intervalMs: 1000, clock }).then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  for (let i = 0; i < 200; i++) {
    await new Promise((r) => setImmediate(r));
    clock.advance(1000);
  }
  const outcome = await settled;
  if ('error' in outcome) throw outcome.error;
  return { result: outcome.result, calls };
}

describe('assessRollout', () => {
  it('is degraded while a rollout progresses without failure signals', () => {
    const status = assessRollout([progressing]);
    expect(status.verdict).toBe('degraded');
    expect(status.message).toContain('old replicas');
  });

  it('is healthy with 100 % when every rollout is done', () => {
    expect(assessRollout([done])).toMatchObject({
      healthy: true,
      verdict: 'healthy',
      healthPercentage: 100,
      readyReplicas: 1,
    });
  });

  it('fails with the pod signal in words', () => {
    const status = assessRollout([done, crashing]);
    expect(status.verdict).toBe('failed');
    expect(status.signal).toBe('CrashLoopBackOff in pod web-new container app (1 restart)');
  });
});

describe('waitForRollout', () => {
  it('returns healthy as soon as the rollout completes', async () => {
    const { result, calls } = await run([[progressing], [progressing], [done]], 60_000);
    expect(result.verdict).toBe('healthy');
    expect(calls).toBe(3);
  });

  it('fails fast on a definite signal, long before the deadline', async () => {
    const { result, calls } = await run([[progressing], [crashing]], 600_000);
    expect(result.verdict).toBe('failed');
    expect(result.signal).toContain('CrashLoopBackOff');
    expect(calls).toBe(2);
  });

  it('fails at the deadline with what was still missing', async () => {
    const { result } = await run([[progressing]], 10_000);
    expect(result.verdict).toBe('failed');
    expect(result.signal).toMatch(/^not healthy after 10s: .*old replicas/);
  });

  it('retries transient API errors, and throws when they last until the deadline', async () => {
    const flaky = new ExternalHostError('api', 'connection refused');
    expect((await run([flaky, flaky, [done]], 60_000)).result.verdict).toBe('healthy');
    await expect(run([flaky], 5_000)).rejects.toThrow('connection refused');
  });
});
