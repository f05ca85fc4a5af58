import { describe, expect, it } from 'vitest';
import type { Asset } from '../core/model.js';
import { assetsForPush, parseRegistryEvent, type ImagePushed } from './registry-events.js';

describe('parseRegistryEvent', () => {
  it('reads a Harbor PUSH_ARTIFACT event', () => {
    expect(
      parseRegistryEvent({
        type: 'PUSH_ARTIFACT',
        occur_at: 1700000000,
        event_data: {
          resources: [
            { digest: 'sha256:cc', tag: 'v2', resource_url: 'harbor.example.com:8443/library/web:v2' },
          ],
          repository: { name: 'web', namespace: 'library', repo_full_name: 'library/web' },
        },
      }),
    ).toEqual([
      { registry: 'harbor.example.com:8443', repository: 'library/web', tag: 'v2', digest: 'sha256:cc' },
    ]);
    expect(parseRegistryEvent({ type: 'DELETE_ARTIFACT', event_data: {} })).toEqual([]);
  });

  it('ignores pulls and blob pushes, and reports each manifest push once', () => {
    const push = {
      action: 'push',
      target: {
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        repository: 'a/b',
        tag: '1',
      },
      request: { host: 'REG.example:5000' },
    };
    expect(
      parseRegistryEvent({
        events: [
          push,
          push,
          { ...push, action: 'pull' },
          { action: 'push', target: { mediaType: 'application/octet-stream', repository: 'a/b' } },
        ],
      }),
    ).toEqual([{ registry: 'reg.example:5000', repository: 'a/b', tag: '1', digest: null }]);
  });

  it('reads the generic forms and refuses what is none of the known ones', () => {
    expect(parseRegistryEvent({ image: 'localhost/team/app:1.2@sha256:dd' })).toEqual([
      { registry: 'localhost', repository: 'team/app', tag: '1.2', digest: 'sha256:dd' },
    ]);
    expect(parseRegistryEvent({ repository: 'nginx', tag: '1.27' })).toEqual([
      { registry: null, repository: 'nginx', tag: '1.27', digest: null },
    ]);
    expect(parseRegistryEvent({ something: 'else' })).toBeUndefined();
    expect(parseRegistryEvent([1, 2])).toBeUndefined();
  });
});

describe('assetsForPush', () => {
  const base = { kind: 'kubernetes' as const, name: 'x', namespace: 'ns', current: { version: '1.0.0' } };
  const asset = (id: string, source: Asset['source']): Asset => ({
    ...base,
    id,
    labels: {},
    annotations: {},
    policy: 'minor',
    healthChecks: [],
    ...(source ? { source } : {}),
  });
  const assets = [
    asset('local-app', { type: 'oci-image', image: '127.0.0.1:5001/demo/app' }),
    asset('other-registry', { type: 'oci-image', image: '127.0.0.1:5002/demo/app' }),
    asset('hub-nginx', { type: 'oci-image', image: 'nginx' }),
    asset('chart', { type: 'oci-chart', ref: 'oci://127.0.0.1:5001/charts/demo-app', chart: 'demo-app' }),
    asset('repo-chart', { type: 'helm-repo', repoUrl: 'http://127.0.0.1:8879', chart: 'demo-app' }),
  ];
  const ids = (push: ImagePushed) => assetsForPush(push, assets).map((a) => a.id);

  it('matches registry and repository the way Docker names them', () => {
    expect(ids({ registry: '127.0.0.1:5001', repository: 'demo/app', tag: '2.0.0', digest: null })).toEqual([
      'local-app',
    ]);
    expect(ids({ registry: 'docker.io', repository: 'library/nginx', tag: '1.27', digest: null })).toEqual([
      'hub-nginx',
    ]);
    expect(ids({ registry: null, repository: 'nginx', tag: '1.27', digest: null })).toEqual(['hub-nginx']);
    expect(
      ids({ registry: '127.0.0.1:5001', repository: 'charts/demo-app', tag: '1.4.0', digest: null }),
    ).toEqual(['chart']);
    expect(ids({ registry: '127.0.0.1:5009', repository: 'demo/app', tag: '2.0.0', digest: null })).toEqual(
      [],
    );
    expect(ids({ registry: '127.0.0.1:5001', repository: 'Not Valid', tag: null, digest: null })).toEqual([]);
  });
});
