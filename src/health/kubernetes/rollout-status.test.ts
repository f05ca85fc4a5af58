import type { V1DaemonSet, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { toWorkload } from '../../kubernetes/workloads.js';
import { rolloutStatus } from './rollout-status.js';

const template = { spec: { containers: [{ name: 'app', image: 'app:1' }] } };

function deployment(
  generation: number,
  status: V1Deployment['status'],
  replicas = 2,
): ReturnType<typeof toWorkload> {
  return toWorkload({
    kind: 'Deployment',
    object: {
      metadata: { name: 'web', namespace: 'ns', generation },
      spec: { replicas, selector: {}, template },
      status,
    },
  });
}

function statefulSet(
  status: V1StatefulSet['status'],
  spec: Partial<NonNullable<V1StatefulSet['spec']>> = {},
) {
  return toWorkload({
    kind: 'StatefulSet',
    object: {
      metadata: { name: 'db', namespace: 'ns', generation: 2 },
      spec: { replicas: 2, selector: {}, serviceName: 'db', template, ...spec },
      status,
    },
  });
}

function daemonSet(status: V1DaemonSet['status']) {
  return toWorkload({
    kind: 'DaemonSet',
    object: {
      metadata: { name: 'agent', namespace: 'ns', generation: 3 },
      spec: { selector: {}, template },
      status,
    },
  });
}

describe('rolloutStatus: Deployment', () => {
  it('waits until the controller observed the new generation', () => {
    const s = rolloutStatus(
      deployment(5, { observedGeneration: 4, updatedReplicas: 2, replicas: 2, availableReplicas: 2 }),
    );
    expect(s.done).toBe(false);
    expect(s.message).toContain('spec update to be observed');
  });

  it('waits for updated replicas, then old ones to go, then availability', () => {
    expect(
      rolloutStatus(deployment(2, { observedGeneration: 2, updatedReplicas: 1, replicas: 3 })).message,
    ).toContain('1 of 2 updated');
    expect(
      rolloutStatus(deployment(2, { observedGeneration: 2, updatedReplicas: 2, replicas: 3 })).message,
    ).toContain('1 old replicas');
    expect(
      rolloutStatus(
        deployment(2, { observedGeneration: 2, updatedReplicas: 2, replicas: 2, availableReplicas: 1 }),
      ).message,
    ).toContain('1 of 2 updated replicas');
  });

  it('is done when all updated replicas are available', () => {
    const s = rolloutStatus(
      deployment(2, {
        observedGeneration: 2,
        updatedReplicas: 2,
        replicas: 2,
        availableReplicas: 2,
        readyReplicas: 2,
      }),
    );
    expect(s).toMatchObject({ done: true, desired: 2, ready: 2, available: 2 });
  });

  it('fails on ProgressDeadlineExceeded', () => {
    const s = rolloutStatus(
      deployment(2, {
        observedGeneration: 2,
        updatedReplicas: 1,
        replicas: 2,
        conditions: [
          {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: 'took too long',
          },
        ],
      }),
    );
    expect(s.done).toBe(false);
    expect(s.failed).toContain('progress deadline');
  });
});

describe('rolloutStatus: StatefulSet', () => {
  it('waits for ready pods and for the current revision to reach the update revision', () => {
    expect(rolloutStatus(statefulSet({ observedGeneration: 2, replicas: 2, readyReplicas: 1 })).done).toBe(
      false,
    );
    const moving = rolloutStatus(
      statefulSet({
        observedGeneration: 2,
        replicas: 2,
        readyReplicas: 2,
        updatedReplicas: 1,
        currentRevision: 'db-a',
        updateRevision: 'db-b',
      }),
    );
    expect(moving.done).toBe(false);
    const done = rolloutStatus(
      statefulSet({
        observedGeneration: 2,
        replicas: 2,
        readyReplicas: 2,
        updatedReplicas: 2,
        currentRevision: 'db-b',
        updateRevision: 'db-b',
      }),
    );
    expect(done.done).toBe(true);
  });

  it('honours a partition', () => {
    const s = rolloutStatus(
      statefulSet(
        {
          observedGeneration: 2,
          replicas: 2,
          readyReplicas: 2,
          updatedReplicas: 1,
          currentRevision: 'db-a',
          updateRevision: 'db-b',
        },
        { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } },
      ),
    );
    expect(s.done).toBe(true);
  });
});

describe('rolloutStatus: DaemonSet', () => {
  it('waits for updated and available pods on every node', () => {
    const base = {
      currentNumberScheduled: 2,
      numberMisscheduled: 0,
      desiredNumberScheduled: 2,
      numberReady: 2,
      observedGeneration: 3,
    };
    expect(rolloutStatus(daemonSet({ ...base, updatedNumberScheduled: 1, numberAvailable: 2 })).done).toBe(
      false,
    );
    expect(rolloutStatus(daemonSet({ ...base, updatedNumberScheduled: 2, numberAvailable: 1 })).done).toBe(
      false,
    );
    expect(rolloutStatus(daemonSet({ ...base, updatedNumberScheduled: 2, numberAvailable: 2 })).done).toBe(
      true,
    );
    expect(
      rolloutStatus(
        daemonSet({ ...base, observedGeneration: 2, updatedNumberScheduled: 2, numberAvailable: 2 }),
      ).done,
    ).toBe(false);
  });
});
