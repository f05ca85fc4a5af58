import { describe, expect, it } from 'vitest';
import { toWorkload } from '../../kubernetes/workloads.js';
import { annotationOps, imageWithVersion, readWorkloadFacts } from './workload-updater.js';

describe('imageWithVersion', () => {
  it.each([
    ['127.0.0.1:5001/demo/app:1.0.0', { version: '1.1.0' }, '127.0.0.1:5001/demo/app:1.1.0'],
    ['nginx', { version: '1.27' }, 'nginx:1.27'],
    [
      'localhost:5000/app:latest@sha256:aaa',
      { version: 'latest', digest: 'sha256:bbb' },
      'localhost:5000/app:latest@sha256:bbb',
    ],
    ['registry:5000/team/app@sha256:aaa', { version: '2.0.0' }, 'registry:5000/team/app:2.0.0'],
  ])('%s + %o → %s', (image, target, expected) => {
    expect(imageWithVersion(image, target)).toBe(expected);
  });
});

describe('annotationOps', () => {
  const workload = (annotations?: Record<string, string>) =>
    toWorkload({
      kind: 'Deployment',
      object: {
        metadata: { name: 'w', annotations },
        spec: { selector: {}, template: { spec: { containers: [] } } },
      },
    });

  it('creates the annotation map when the object has none', () => {
    expect(annotationOps(workload(), { 'kubernetes.io/change-cause': 'x' })).toEqual([
      { op: 'add', path: '/metadata/annotations', value: { 'kubernetes.io/change-cause': 'x' } },
    ]);
  });

  it('escapes "/" in keys as ~1 (RFC 6901)', () => {
    expect(annotationOps(workload({ a: 'b' }), { 'kubernetes.io/change-cause': 'x' })).toEqual([
      { op: 'add', path: '/metadata/annotations/kubernetes.io~1change-cause', value: 'x' },
    ]);
  });
});

describe('readWorkloadFacts', () => {
  it('refuses facts without the previous image', () => {
    expect(() => readWorkloadFacts({ container: 'app' })).toThrow('no previous image');
  });
});
