import { describe, expect, it } from 'vitest';
import { parseImageReference } from '../datasources/oci-registry/image-ref.js';
import { digestFor, formatImageRef, repositoryName } from './image-ref.js';

describe('image references for the engine', () => {
  it('formats pullable names, Docker Hub without its prefix', () => {
    expect(repositoryName(parseImageReference('nginx:1'))).toBe('nginx');
    expect(repositoryName(parseImageReference('127.0.0.1:5001/demo/app:1.0.0'))).toBe(
      '127.0.0.1:5001/demo/app',
    );
    expect(formatImageRef({ registry: 'r:5000', repository: 'a/b', tag: 'v1' })).toBe('r:5000/a/b:v1');
    expect(formatImageRef({ registry: 'r:5000', repository: 'a/b', digest: 'sha256:1' })).toBe(
      'r:5000/a/b@sha256:1',
    );
  });

  it('picks the digest of the same repository among RepoDigests', () => {
    const digests = [`other/x@sha256:${'0'.repeat(64)}`, `docker.io/library/nginx@sha256:${'1'.repeat(64)}`];
    expect(digestFor(digests, 'nginx:latest')).toBe(`sha256:${'1'.repeat(64)}`);
    expect(digestFor(digests, 'r:5000/nginx')).toBeUndefined();
  });
});
