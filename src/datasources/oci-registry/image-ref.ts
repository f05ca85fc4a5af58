/**
 * Image references as Docker reads them (distribution/reference): the first path component is a
 * registry only when it has a '.' or ':' or is 'localhost'; otherwise the image lives on Docker Hub,
 * whose official images sit under 'library/'. Docker Hub's canonical name is index.docker.io and its API
 * host is registry-1.docker.io.
 */
import { ConfigError } from '../../core/errors.js';

export const DOCKER_HUB = 'index.docker.io';
const DOCKER_HUB_ALIASES = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
]);

export interface ImageReference {
  /** Registry host (with port), Docker Hub as index.docker.io. */
  registry: string;
  /** Repository path inside the registry, e.g. library/nginx, demo/app. */
  repository: string;
  tag?: string;
  /** sha256:… when the reference pins a digest (`name@sha256:…` or `name:tag@sha256:…`). */
  digest?: string;
}

/** The canonical name of a registry host (Docker Hub aliases → index.docker.io, lower case). */
export function normaliseRegistryHost(host: string): string {
  const lower = host
    .toLowerCase()
    .replace(/^[a-z]+:\/\//, '')
    .replace(/\/.*$/, '');
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB : lower;
}

/** The host that serves the v2 API of a registry. */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;
}

export function parseImageReference(image: string): ImageReference {
  const text = image.trim().replace(/^docker:\/\//, '');
  if (text === '' || /\s/.test(text)) throw new ConfigError(`'${image}' is not an image reference`);
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(digest)) {
      throw new ConfigError(`'${image}' has an invalid digest '${digest}'`);
    }
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw new ConfigError(`'${image}' has an invalid tag '${tag}'`);
  }
  const parts = rest.split('/');
  const first = parts[0] ?? '';
  let registry = DOCKER_HUB;
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = normaliseRegistryHost(first);
    parts.shift();
  }
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  if (
    !/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(repository)
  ) {
    throw new ConfigError(`'${image}' has an invalid repository name '${repository}'`);
  }
  return {
    registry,
    repository,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
  };
}

/** registry/repository as one string, the key of a tag listing. */
export function repositoryKey(ref: Pick<ImageReference, 'registry' | 'repository'>): string {
  return `${ref.registry}/${ref.repository}`;
}
