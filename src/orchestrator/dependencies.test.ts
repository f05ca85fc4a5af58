import { describe, expect, it } from 'vitest';
import type { Asset } from '../core/model.js';
import { annotatedDependencies, unresolvedDependencies } from './dependencies.js';

function asset(id: string, kind: Asset['kind'], namespace: string, name: string, dependsOn?: string): Asset {
  return {
    id,
    kind,
    name,
    namespace,
    current: { version: '1.0.0' },
    labels: {},
    annotations: dependsOn === undefined ? {} : { 'safe-updater.io/depends-on': dependsOn },
    policy: 'minor',
    healthChecks: [],
  };
}

const known = [
  asset('k8s/shop/deployment/db/container/postgres', 'kubernetes', 'shop', 'db'),
  asset('k8s/shop/deployment/db/container/exporter', 'kubernetes', 'shop', 'db'),
  asset('k8s/shop/deployment/dbx/container/app', 'kubernetes', 'shop', 'dbx'),
  asset('k8s/other/deployment/db/container/postgres', 'kubernetes', 'other', 'db'),
  asset('helm/shop/redis', 'helm', 'shop', 'redis'),
  asset('helm/other/redis', 'helm', 'other', 'redis'),
];

describe('safe-updater.io/depends-on', () => {
  it('resolves short names within the namespace: every container of a workload, Helm releases by name', () => {
    const api = asset(
      'k8s/shop/deployment/api/container/app',
      'kubernetes',
      'shop',
      'api',
      'deployment/db, redis',
    );
    expect(annotatedDependencies(api, known)).toEqual([
      'helm/shop/redis',
      'k8s/shop/deployment/db/container/exporter',
      'k8s/shop/deployment/db/container/postgres',
    ]);
    expect(unresolvedDependencies(api, known)).toEqual([]);
  });

  it('takes full ids across namespaces, never the asset itself, and reports what names nothing', () => {
    const web = asset(
      'k8s/shop/deployment/web/container/app',
      'kubernetes',
      'shop',
      'web',
      'k8s/other/deployment/db/container/postgres,helm/redis,deployment/web,deployment/nope',
    );
    expect(annotatedDependencies(web, [...known, web])).toEqual([
      'helm/shop/redis',
      'k8s/other/deployment/db/container/postgres',
    ]);
    expect(unresolvedDependencies(web, known)).toEqual(['deployment/web', 'deployment/nope']);
  });

  it('is empty without the annotation', () => {
    expect(annotatedDependencies(asset('helm/shop/web', 'helm', 'shop', 'web'), known)).toEqual([]);
  });
});
