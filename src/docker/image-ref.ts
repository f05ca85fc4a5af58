/**
 * Image references as the Docker Engine writes them in a container's Config.Image:
 * [registry[:port]/]repository[:tag][@digest]. The first path component is a registry when it contains
 * a dot or a colon, or is `localhost` (distribution/reference's rule); otherwise the image lives on Docker Hub.
 */

export interface ImageRef {
  /** Registry host as written ('docker.io' when none). */
  registry: string;
  /** Repository without the registry, e.g. 'demo/app', 'library/nginx'. */
  repository: string;
  tag?: string;
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';

export function parseImageRef(reference: string): ImageRef {
  let rest = reference.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  let registry = DOCKER_HUB;
  let repository = rest;
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    repository = rest.slice(slash + 1);
  }
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  return {
    registry,
    repository,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
  };
}

/** The repository as a pullable name: registry prefix kept unless it is Docker Hub. */
export function repositoryName(ref: ImageRef): string {
  if (ref.registry === DOCKER_HUB) return ref.repository.replace(/^library\//, '');
  return `${ref.registry}/${ref.repository}`;
}

/** `repo:tag`, or `repo@digest` when only a digest is known. */
export function formatImageRef(ref: ImageRef): string {
  const name = repositoryName(ref);
  if (ref.tag !== undefined) return `${name}:${ref.tag}${ref.digest ? `@${ref.digest}` : ''}`;
  if (ref.digest !== undefined) return `${name}@${ref.digest}`;
  return `${name}:latest`;
}

/**
 * The digest a registry serves for `repository` among an image's RepoDigests ('repo@sha256:…'), compared
 * on the normalised repository so that 'nginx' and 'docker.io/library/nginx' match.
 */
export function digestFor(
  repoDigests: readonly string[] | null | undefined,
  image: string,
): string | undefined {
  const wanted = parseImageRef(image);
  for (const entry of repoDigests ?? []) {
    const ref = parseImageRef(entry);
    if (ref.registry === wanted.registry && ref.repository === wanted.repository && ref.digest)
      return ref.digest;
  }
  return undefined;
}
