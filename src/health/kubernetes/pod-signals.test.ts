import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { describeUnready, podSignals } from './pod-signals.js';

function pod(
  name: string,
  statuses: Partial<V1ContainerStatus>[],
  extra: Partial<V1Pod['status']> = {},
): V1Pod {
  return {
    metadata: { name },
    status: {
      phase: 'Running',
      containerStatuses: statuses.map((s) => ({
        name: 'app',
        image: 'app',
        imageID: '',
        ready: false,
        restartCount: 0,
        ...s,
      })),
      ...extra,
    },
  };
}

describe('podSignals', () => {
  it('names CrashLoopBackOff with pod, container and restarts', () => {
    const signals = podSignals([
      pod('web-7d9', [
        { restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s' } } },
      ]),
    ]);
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({
      reason: 'CrashLoopBackOff',
      pod: 'web-7d9',
      container: 'app',
      definite: true,
    });
    expect(signals[0]?.text).toBe('CrashLoopBackOff in pod web-7d9 container app (2 restarts): back-off 20s');
  });

  it.each(['ImagePullBackOff', 'ErrImagePull', 'CreateContainerConfigError', 'InvalidImageName'])(
    'treats %s as definite',
    (reason) => {
      const [signal] = podSignals([pod('p', [{ state: { waiting: { reason } } }])]);
      expect(signal?.definite).toBe(true);
      expect(signal?.text).toContain(`${reason} in pod p container app`);
    },
  );

  it('does not treat ContainerCreating as a failure', () => {
    expect(podSignals([pod('p', [{ state: { waiting: { reason: 'ContainerCreating' } } }])])).toEqual([]);
  });

  it('finds OOMKilled in the last termination', () => {
    const [signal] = podSignals([
      pod('p', [
        {
          restartCount: 1,
          state: { running: {} },
          lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } },
        },
      ]),
    ]);
    expect(signal?.reason).toBe('OOMKilled');
  });

  it('flags restarts at the threshold, not below', () => {
    const running = { running: {} };
    expect(podSignals([pod('p', [{ restartCount: 2, state: running }])], { restartThreshold: 3 })).toEqual(
      [],
    );
    const [signal] = podSignals(
      [pod('p', [{ restartCount: 3, state: running, lastState: { terminated: { exitCode: 1 } } }])],
      { restartThreshold: 3 },
    );
    expect(signal?.reason).toBe('RestartLoop');
    expect(signal?.text).toContain('last exit code 1');
  });

  it('reads init containers too', () => {
    const p = pod('p', []);
    p.status = {
      ...p.status,
      initContainerStatuses: [
        {
          name: 'init',
          image: 'i',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: 'ImagePullBackOff' } },
        },
      ],
    };
    expect(podSignals([p])[0]?.text).toBe('ImagePullBackOff in pod p container init');
  });

  it('ignores pods being deleted', () => {
    const p = pod('p', [{ state: { waiting: { reason: 'CrashLoopBackOff' } } }]);
    p.metadata = { ...p.metadata, deletionTimestamp: new Date() };
    expect(podSignals([p])).toEqual([]);
  });

  it('reports an unschedulable pod as a non-definite signal, after the definite ones', () => {
    const waiting = pod('a', [], {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes' }],
    });
    const crashing = pod('b', [{ state: { waiting: { reason: 'CrashLoopBackOff' } } }]);
    const signals = podSignals([waiting, crashing]);
    expect(signals.map((s) => [s.pod, s.definite])).toEqual([
      ['b', true],
      ['a', false],
    ]);
  });

  it('reports a Failed pod phase', () => {
    const [signal] = podSignals([pod('p', [], { phase: 'Failed', reason: 'Evicted' })]);
    expect(signal).toMatchObject({ reason: 'Evicted', definite: true });
  });
});

describe('describeUnready', () => {
  it('says which containers are not ready and in which state', () => {
    const lines = describeUnready([
      pod('a', [{ ready: false, state: { running: {} } }], {
        conditions: [{ type: 'Ready', status: 'False' }],
      }),
      pod('b', [{ ready: true, state: { running: {} } }], {
        conditions: [{ type: 'Ready', status: 'True' }],
      }),
    ]);
    expect(lines).toEqual(['pod a container app not ready (Running)']);
  });
});
