/**
 * Image references as the engine needs them for pulls and as containers record them in Config.Image.
 * Parsing is the datasources' (distribution/reference rules, Docker Hub as index.docker.io); this adds the
 * way back to a pullable name, and the digest lookup among an image's RepoDigests.
 */
import {
  DOCKER_HUB,
  parseImageReference,
  type ImageReference,
} from '../datasources/oci-registry/image-ref.js';

/** The repository as a pullable name: registry prefix kept unless it is Docker Hub. */
export function repositoryName(ref: Pick<ImageReference, 'registry' | 'repository'>): string {
  if (ref.registry === DOCKER_HUB) return ref.repository.replace(/^library\//, '');
  return `${ref.registry}/${ref.repository}`;
}

/** `repo:tag`, or `repo@digest` when only a digest is known. */
export function formatImageRef(ref: ImageReference): string {
  const name = repositoryName(ref);
  if (ref.tag !== undefined) return `${name}:${ref.tag}${ref.digest ? `@${ref.digest}` : ''}`;
  if (ref.digest !== undefined) return `${name}@${ref.digest}`;
  return `${name}:latest`;
}

/**
 * The digest a registry serves for `image`'s repository among an image's RepoDigests ('repo@sha256:…'),
 * compared on the normalised repository so that 'nginx' and 'docker.io/library/nginx' match.
 */
export function digestFor(
  repoDigests: readonly string[] | null | undefined,
  image: string,
): string | undefined {
  const wanted = parseImageReference(image);
  for (const entry of repoDigests ?? []) {
    const ref = parseImageReference(entry);
    if (ref.registry === wanted.registry && ref.repository === wanted.repository && ref.digest)
      return ref.digest;
  }
  return undefined;
}
