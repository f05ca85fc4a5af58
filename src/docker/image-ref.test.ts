import { describe, expect, it } from 'vitest';
import { digestFor, formatImageRef, parseImageRef, repositoryName } from './image-ref.js';

describe('image references', () => {
  it('tells a registry with a port from a tag', () => {
    expect(parseImageRef('127.0.0.1:5001/demo/app:1.0.0')).toEqual({
      registry: '127.0.0.1:5001',
      repository: 'demo/app',
      tag: '1.0.0',
    });
    expect(parseImageRef('localhost/app')).toEqual({ registry: 'localhost', repository: 'app' });
    expect(parseImageRef('nginx')).toEqual({ registry: 'docker.io', repository: 'library/nginx' });
    expect(parseImageRef('team/app:2@sha256:abc')).toEqual({
      registry: 'docker.io',
      repository: 'team/app',
      tag: '2',
      digest: 'sha256:abc',
    });
  });

  it('formats pullable names', () => {
    expect(repositoryName(parseImageRef('nginx:1'))).toBe('nginx');
    expect(formatImageRef({ registry: 'r:5000', repository: 'a/b', tag: 'v1' })).toBe('r:5000/a/b:v1');
    expect(formatImageRef({ registry: 'r:5000', repository: 'a/b', digest: 'sha256:1' })).toBe(
      'r:5000/a/b@sha256:1',
    );
  });

  it('picks the digest of the same repository among RepoDigests', () => {
    const digests = ['other/x@sha256:0', 'docker.io/library/nginx@sha256:1'];
    expect(digestFor(digests, 'nginx:latest')).toBe('sha256:1');
    expect(digestFor(digests, 'r:5000/nginx')).toBeUndefined();
  });
});
