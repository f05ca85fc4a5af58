import { describe, expect, it } from 'vitest';
import { ConflictError, ExternalHostError, NotFoundError, SafeUpdaterError } from '../core/errors.js';
import {
  classifyHelmError,
  parseHelmVersion,
  parseHistory,
  parseRelease,
  parseReleaseList,
  parseValues,
  splitChartRef,
} from './output.js';

describe('parseHelmVersion', () => {
  it.each([
    ['v3.17.2', 3, 17, 2],
    ['v4.1.4', 4, 1, 4],
    ['v3.8.0+gd141386', 3, 8, 0],
  ])('reads %s', (text, major, minor, patch) => {
    expect(parseHelmVersion(text)).toMatchObject({ major, minor, patch });
  });
  it('refuses text without a version', () => {
    expect(parseHelmVersion('Client: unknown')).toBeUndefined();
  });
});

describe('splitChartRef', () => {
  it.each([
    ['demo-app-1.2.0', 'demo-app', '1.2.0'],
    ['my-2-chart-10.0.1-rc.1', 'my-2-chart', '10.0.1-rc.1'],
    ['nginx-v1.2.3', 'nginx', 'v1.2.3'],
    ['odd', 'odd', ''],
  ])('%s → %s + %s', (ref, name, version) => {
    expect(splitChartRef(ref)).toEqual({ name, version });
  });
});

describe('parseReleaseList', () => {
  it('reads revision as a string (Helm 4) or a number (Helm 3)', () => {
    const json = JSON.stringify([
      {
        name: 'web',
        namespace: 'a',
        revision: '3',
        updated: '2026-01-01 10:00:00 +0000 UTC',
        status: 'deployed',
        chart: 'demo-app-1.1.0',
        app_version: '1.1.0',
      },
      {
        name: 'db',
        namespace: 'b',
        revision: 7,
        updated: '',
        status: 'pending-upgrade',
        chart: 'pg-12.1.0',
        app_version: '16',
      },
    ]);
    expect(parseReleaseList(json)).toEqual([
      expect.objectContaining({
        name: 'web',
        revision: 3,
        chartName: 'demo-app',
        chartVersion: '1.1.0',
        appVersion: '1.1.0',
      }),
      expect.objectContaining({
        name: 'db',
        revision: 7,
        status: 'pending-upgrade',
        chartName: 'pg',
        chartVersion: '12.1.0',
      }),
    ]);
  });
  it('reads an empty answer as no releases', () => {
    expect(parseReleaseList('[]')).toEqual([]);
    expect(parseReleaseList('')).toEqual([]);
  });
  it('refuses something that is not JSON', () => {
    expect(() => parseReleaseList('NAME\tNAMESPACE')).toThrow(SafeUpdaterError);
  });
});

describe('parseHistory', () => {
  it('orders revisions oldest first', () => {
    const json = JSON.stringify([
      {
        revision: 2,
        updated: 'x',
        status: 'deployed',
        chart: 'demo-app-1.1.0',
        app_version: '1.1.0',
        description: 'Upgrade complete',
      },
      {
        revision: '1',
        updated: 'x',
        status: 'superseded',
        chart: 'demo-app-1.0.0',
        app_version: '1.0.0',
        description: 'Install complete',
      },
    ]);
    expect(parseHistory(json).map((r) => [r.revision, r.status])).toEqual([
      [1, 'superseded'],
      [2, 'deployed'],
    ]);
  });
});

describe('parseRelease', () => {
  it('reads status, chart and revision from `helm status -o json`', () => {
    const json = JSON.stringify({
      name: 'web',
      namespace: 'prod',
      version: 4,
      info: {
        first_deployed: '2026-01-01T00:00:00Z',
        last_deployed: '2026-01-02T03:04:05.123Z',
        status: 'deployed',
        description: 'Upgrade complete',
      },
      chart: { metadata: { name: 'demo-app', version: '1.1.0', appVersion: '1.1.0' } },
      manifest: '---\nkind: Deployment\n',
      apply_method: 'ssa',
    });
    expect(parseRelease(json)).toEqual({
      name: 'web',
      namespace: 'prod',
      revision: 4,
      status: 'deployed',
      chartName: 'demo-app',
      chartVersion: '1.1.0',
      appVersion: '1.1.0',
      lastDeployed: new Date('2026-01-02T03:04:05.123Z'),
      manifest: '---\nkind: Deployment\n',
      description: 'Upgrade complete',
    });
  });
});

describe('parseValues', () => {
  it('reads null (no user values) as {}', () => {
    expect(parseValues('null\n')).toEqual({});
    expect(parseValues('{"replicaCount":2}')).toEqual({ replicaCount: 2 });
  });
});

describe('classifyHelmError', () => {
  const context = { what: 'helm upgrade web in prod', host: 'https://127.0.0.1:6443' };
  it('maps "another operation in progress" to ConflictError', () => {
    const error = classifyHelmError(
      'Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress\n',
      context,
    );
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toBe(
      'helm upgrade web in prod: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress',
    );
  });
  it('maps an unreachable cluster to ExternalHostError', () => {
    const error = classifyHelmError(
      'Error: INSTALLATION FAILED: Kubernetes cluster unreachable: Get "http://localhost:8080/version": dial tcp 127.0.0.1:8080: connect: connection refused',
      context,
    );
    expect(error).toBeInstanceOf(ExternalHostError);
    expect((error as ExternalHostError).host).toBe('https://127.0.0.1:6443');
  });
  it.each([
    'Error: release: not found',
    'Error: chart "demo-app" version "9.9.9" not found in http://127.0.0.1:8879 repository',
    'Error: 127.0.0.1:5001/charts/demo-app:9.9.9: not found',
  ])('maps "%s" to NotFoundError', (stderr) => {
    expect(classifyHelmError(stderr, context)).toBeInstanceOf(NotFoundError);
  });
  it('keeps other failures generic, with helm’s message', () => {
    const error = classifyHelmError(
      'walk.go:74: found symbolic link\nError: UPGRADE FAILED: template: bad',
      context,
    );
    expect(error.constructor).toBe(SafeUpdaterError);
    expect(error.message).toBe('helm upgrade web in prod: UPGRADE FAILED: template: bad');
  });
});
