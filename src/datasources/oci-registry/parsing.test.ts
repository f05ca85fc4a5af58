import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { parseImageReference, normaliseRegistryHost } from './image-ref.js';
import { nextPageUrl } from './link-header.js';
import { parseWwwAuthenticate } from './www-authenticate.js';

describe('parseImageReference', () => {
  it.each([
    ['nginx', { registry: 'index.docker.io', repository: 'library/nginx' }],
    ['nginx:1.25-alpine', { registry: 'index.docker.io', repository: 'library/nginx', tag: '1.25-alpine' }],
    ['docker.io/bitnami/redis:7.2', { registry: 'index.docker.io', repository: 'bitnami/redis', tag: '7.2' }],
    ['docker.io/nginx', { registry: 'index.docker.io', repository: 'library/nginx' }],
    ['bitnami/redis', { registry: 'index.docker.io', repository: 'bitnami/redis' }],
    ['ghcr.io/org/team/app:v1.2.3', { registry: 'ghcr.io', repository: 'org/team/app', tag: 'v1.2.3' }],
    ['127.0.0.1:5001/demo/app:1.0.0', { registry: '127.0.0.1:5001', repository: 'demo/app', tag: '1.0.0' }],
    ['localhost/app', { registry: 'localhost', repository: 'app' }],
    [
      'localhost:5000/app@sha256:abc123',
      { registry: 'localhost:5000', repository: 'app', digest: 'sha256:abc123' },
    ],
    [
      'quay.io/a/b:1.0@sha256:0123',
      { registry: 'quay.io', repository: 'a/b', tag: '1.0', digest: 'sha256:0123' },
    ],
  ])('%s', (image, expected) => {
    expect(parseImageReference(image)).toEqual(expected);
  });

  it.each(['', 'UPPER/case', 'a b', 'app:bad tag', 'app@sha256'])('refuses %j', (image) => {
    expect(() => parseImageReference(image)).toThrow(ConfigError);
  });

  it('normalises Docker Hub aliases', () => {
    expect(normaliseRegistryHost('https://index.docker.io/v1/')).toBe('index.docker.io');
    expect(normaliseRegistryHost('registry-1.docker.io')).toBe('index.docker.io');
    expect(normaliseRegistryHost('GHCR.io')).toBe('ghcr.io');
  });
});

describe('parseWwwAuthenticate', () => {
  it('reads a bearer challenge', () => {
    expect(
      parseWwwAuthenticate(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:library/nginx:pull',
      },
    });
  });
  it('reads basic, unquoted values and escapes', () => {
    expect(parseWwwAuthenticate('Basic realm="Registry \\"Realm\\""')).toEqual({
      scheme: 'basic',
      params: { realm: 'Registry "Realm"' },
    });
    expect(parseWwwAuthenticate('bearer realm=http://x/token, service=x')?.params).toEqual({
      realm: 'http://x/token',
      service: 'x',
    });
    expect(parseWwwAuthenticate('Negotiate abc')).toBeUndefined();
    expect(parseWwwAuthenticate(null)).toBeUndefined();
  });
});

describe('nextPageUrl', () => {
  const current = 'http://127.0.0.1:5001/v2/demo/app/tags/list?n=2';
  it('resolves a relative next link', () => {
    expect(nextPageUrl('</v2/demo/app/tags/list?last=1.0.1&n=2>; rel="next"', current)).toBe(
      'http://127.0.0.1:5001/v2/demo/app/tags/list?last=1.0.1&n=2',
    );
  });
  it('picks next among several links and ignores others', () => {
    expect(nextPageUrl('<https://x/prev>; rel="prev", <https://x/next?a=1>; rel=next', current)).toBe(
      'https://x/next?a=1',
    );
    expect(nextPageUrl('<https://x/prev>; rel="prev"', current)).toBeUndefined();
    expect(nextPageUrl(null, current)).toBeUndefined();
  });
});
