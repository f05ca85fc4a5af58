/**
 * Registry webhook payloads → the image pushes they announce. Understood forms:
 * - CNCF Distribution notifications (https://distribution.github.io/distribution/about/notifications/):
 *   `{ events: [{ action: 'push', target: { mediaType, repository, digest, tag, url }, request: { host } }] }`;
 *   blob pushes (layers) are ignored, only manifest pushes count;
 * - Docker Hub: `{ push_data: { tag }, repository: { repo_name } }` (the registry is docker.io);
 * - Harbor: `{ type: 'PUSH_ARTIFACT', event_data: { resources: [{ digest, tag, resource_url }],
 *   repository: { repo_full_name } } }`;
 * - a generic JSON form: `{ repository: 'host/path', tag?, digest? }` or `{ image: 'host/path:tag' }`.
 * The registry host is reported as the payload names it (lower case); `assetsForPush` matches it against
 * assets with Docker's naming rules (src/datasources/oci-registry/image-ref.ts).
 */
import type { Asset } from '../core/model.js';
import { parseImageReference, repositoryKey } from '../datasources/oci-registry/image-ref.js';

export interface ImagePushed {
  /** Registry host with port, e.g. 127.0.0.1:5001 or docker.io; null when the payload does not say. */
  registry: string | null;
  /** Repository path inside the registry, e.g. demo/app. */
  repository: string;
  tag: string | null;
  digest: string | null;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

function hostOf(url: string | null): string | null {
  if (!url) return null;
  try {
    return new URL(url).host.toLowerCase() || null;
  } catch {
    return null;
  }
}

const MANIFEST_TYPE = /manifest|image\.index|manifest\.list/i;

function fromDistribution(events: unknown[]): ImagePushed[] {
  const pushes: ImagePushed[] = [];
  for (const event of events) {
    if (!isObject(event) || event.action !== 'push' || !isObject(event.target)) continue;
    const target = event.target;
    const mediaType = str(target.mediaType);
    if (mediaType && !MANIFEST_TYPE.test(mediaType)) continue;
    const repository = str(target.repository);
    if (!repository) continue;
    const request = isObject(event.request) ? event.request : {};
    pushes.push({
      registry: hostOf(str(target.url)) ?? str(request.host)?.toLowerCase() ?? null,
      repository,
      tag: str(target.tag),
      digest: str(target.digest),
    });
  }
  return pushes;
}

/** "host/path:tag@digest" split, the first component being a host only when it looks like one. */
function splitImage(image: string): ImagePushed | null {
  let rest = image.trim();
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1) || null;
    rest = rest.slice(0, at);
  }
  let tag: string | null = null;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1) || null;
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  const isHost = first.includes('.') || first.includes(':') || first === 'localhost';
  const repository = isHost ? rest.slice(slash + 1) : rest;
  if (!repository) return null;
  return { registry: isHost ? first.toLowerCase() : null, repository, tag, digest };
}

function fromHarbor(body: Json): ImagePushed[] {
  const data = isObject(body.event_data) ? body.event_data : {};
  const resources = Array.isArray(data.resources) ? data.resources : [];
  const fullName = isObject(data.repository) ? str(data.repository.repo_full_name) : null;
  const pushes: ImagePushed[] = [];
  for (const resource of resources) {
    if (!isObject(resource)) continue;
    const parsed = splitImage(str(resource.resource_url) ?? '');
    const repository = fullName ?? parsed?.repository;
    if (!repository) continue;
    pushes.push({
      registry: parsed?.registry ?? null,
      repository,
      tag: str(resource.tag) ?? parsed?.tag ?? null,
      digest: str(resource.digest) ?? parsed?.digest ?? null,
    });
  }
  return pushes;
}

/** The image pushes a webhook body announces; empty when it announces none (e.g. only blob pushes). */
export function parseRegistryEvent(body: unknown): ImagePushed[] | undefined {
  if (!isObject(body)) return undefined;
  let pushes: ImagePushed[];
  if (Array.isArray(body.events)) {
    pushes = fromDistribution(body.events);
  } else if (isObject(body.push_data) && isObject(body.repository)) {
    const repository = str(body.repository.repo_name);
    if (!repository) return undefined;
    pushes = [{ registry: 'docker.io', repository, tag: str(body.push_data.tag), digest: null }];
  } else if (typeof body.type === 'string' && isObject(body.event_data)) {
    pushes = body.type === 'PUSH_ARTIFACT' ? fromHarbor(body) : [];
  } else if (typeof body.image === 'string') {
    const parsed = splitImage(body.image);
    if (!parsed) return undefined;
    pushes = [parsed];
  } else if (typeof body.repository === 'string') {
    const parsed = splitImage(body.repository);
    if (!parsed) return undefined;
    pushes = [{ ...parsed, tag: str(body.tag) ?? parsed.tag, digest: str(body.digest) ?? parsed.digest }];
  } else {
    return undefined;
  }
  const seen = new Set<string>();
  return pushes.filter((push) => {
    const key = JSON.stringify(push);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** registry/repository in canonical form (docker.io → index.docker.io, library/ added), or undefined. */
function canonicalRepository(reference: string): string | undefined {
  try {
    return repositoryKey(parseImageReference(reference));
  } catch {
    return undefined;
  }
}

function assetRepository(asset: Asset): string | undefined {
  const source = asset.source;
  if (source?.type === 'oci-image') return canonicalRepository(source.image);
  if (source?.type === 'oci-chart') return canonicalRepository(source.ref.replace(/^oci:\/\//, ''));
  return undefined;
}

/** The assets whose image repository (or OCI chart) a push names: they deserve a check now. */
export function assetsForPush(push: ImagePushed, assets: readonly Asset[]): Asset[] {
  const pushed = canonicalRepository(push.registry ? `${push.registry}/${push.repository}` : push.repository);
  if (pushed === undefined) return [];
  return assets.filter((asset) => assetRepository(asset) === pushed);
}
