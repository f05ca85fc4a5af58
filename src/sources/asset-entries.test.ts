import { describe, expect, it } from 'vitest';
import { annotationSettings, resolveHealthChecks, toVersionSource } from './asset-entries.js';

describe('annotationSettings', () => {
  it('opts in by safe-updater.io/enable or by a policy annotation (Keel style)', () => {
    expect(annotationSettings({ 'safe-updater.io/enable': 'true' }).enabled).toBe(true);
    expect(annotationSettings({ 'keel.sh/policy': 'minor' })).toMatchObject({
      enabled: true,
      policy: 'minor',
    });
    expect(annotationSettings({ 'safe-updater.io/policy': 'patch', 'keel.sh/policy': 'major' }).policy).toBe(
      'patch',
    );
  });

  it('opts out explicitly even with a policy', () => {
    expect(annotationSettings({ 'safe-updater.io/enable': 'false', 'keel.sh/policy': 'all' }).enabled).toBe(
      false,
    );
  });

  it('says nothing without annotations', () => {
    expect(annotationSettings({})).toEqual({
      enabled: undefined,
      policy: undefined,
      monitorOnly: false,
      healthChecks: [],
      matchTag: undefined,
    });
  });

  it('reads monitor-only, health checks and match-tag', () => {
    expect(
      annotationSettings({
        'safe-updater.io/enable': 'yes',
        'safe-updater.io/monitor-only': 'true',
        'safe-updater.io/health-check': 'web-http, api-tcp,,',
        'safe-updater.io/match-tag': 'true',
      }),
    ).toEqual({
      enabled: true,
      policy: undefined,
      monitorOnly: true,
      healthChecks: ['web-http', 'api-tcp'],
      matchTag: 'true',
    });
  });
});

describe('toVersionSource', () => {
  it('maps the three config shapes', () => {
    expect(toVersionSource({ helmRepo: 'http://r', chart: 'demo-app' })).toEqual({
      type: 'helm-repo',
      repoUrl: 'http://r',
      chart: 'demo-app',
    });
    expect(toVersionSource({ oci: 'oci://127.0.0.1:5001/charts/demo-app' })).toEqual({
      type: 'oci-chart',
      ref: 'oci://127.0.0.1:5001/charts/demo-app',
      chart: 'demo-app',
    });
    expect(toVersionSource({ image: '127.0.0.1:5001/demo/app' })).toEqual({
      type: 'oci-image',
      image: '127.0.0.1:5001/demo/app',
    });
  });
});

describe('resolveHealthChecks', () => {
  it('returns known specs and names the unknown ones', () => {
    const known = { a: { name: 'a', type: 'tcp' as const, host: 'h', port: 1 } };
    expect(resolveHealthChecks(['a', 'b'], known)).toEqual({ checks: [known.a], unknown: ['b'] });
  });
});
