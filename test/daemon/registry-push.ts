/**
 * Pushes a NEW tag into the local anonymous registry through the Distribution HTTP API, so a test can act
 * out "someone pushed a release" while the daemon watches: the config and layer blobs of an existing
 * fixture tag are mounted into a test-specific repository (`POST /v2/<to>/blobs/uploads/?mount=…&from=…`,
 * https://distribution.github.io/distribution/spec/api/#cross-repository-blob-mount: no bytes are copied),
 * then the fixture's manifest is PUT under the new tag, byte for byte, so its digest is the fixture's.
 * Copy from the fixture tag of the same version: the image then says what it is, and kwok's stages give
 * pods their behaviour by tag suffix (-crashloop, -unready, -pullerror), so a healthy tag carries none.
 */
import { loadEnvironment } from '../support/env.js';
import { suffix } from '../kubernetes/cluster.js';

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ');

export interface PushedTag {
  registry: string;
  repository: string;
  tag: string;
  digest: string;
  mediaType: string;
  size: number;
  /** `registry/repository:tag`, as a workload names it. */
  image: string;
}

function registryHost(): string {
  return loadEnvironment().registries.anonymous.host;
}

/** A repository of the test's own on the anonymous registry, e.g. `daemon-notify/app-1a2b3c`. */
export function testRepository(prefix: string): string {
  return `${prefix}/app-${suffix()}`;
}

async function ok(response: Response, what: string, expected: number): Promise<Response> {
  if (response.status !== expected) {
    throw new Error(`${what}: HTTP ${response.status} (expected ${expected}): ${await response.text()}`);
  }
  return response;
}

/**
 * Pushes `to.repository:to.tag` with the content of the fixture tag `fromTag` (of the fixture repository
 * `demo/app` unless `fromRepository` says otherwise).
 */
export async function pushTag(
  to: { repository: string; tag: string },
  fromTag: string,
  fromRepository = loadEnvironment().fixtures.imageRepository,
): Promise<PushedTag> {
  const registry = registryHost();
  const base = `http://${registry}/v2`;
  const source = await ok(
    await fetch(`${base}/${fromRepository}/manifests/${fromTag}`, { headers: { accept: MANIFEST_TYPES } }),
    `GET manifest ${fromRepository}:${fromTag}`,
    200,
  );
  const mediaType = source.headers.get('content-type') ?? '';
  const raw = Buffer.from(await source.arrayBuffer());
  const manifest = JSON.parse(raw.toString('utf8')) as {
    config: { digest: string };
    layers: { digest: string }[];
  };
  for (const blob of [manifest.config, ...manifest.layers]) {
    const query = new URLSearchParams({ mount: blob.digest, from: fromRepository });
    // 201: mounted. 202 would mean the registry opened an upload instead (blob unknown in `from`).
    await ok(
      await fetch(`${base}/${to.repository}/blobs/uploads/?${query}`, { method: 'POST' }),
      `mount ${blob.digest} from ${fromRepository} into ${to.repository}`,
      201,
    );
  }
  const put = await ok(
    await fetch(`${base}/${to.repository}/manifests/${to.tag}`, {
      method: 'PUT',
      headers: { 'content-type': mediaType },
      body: raw,
    }),
    `PUT manifest ${to.repository}:${to.tag}`,
    201,
  );
  const digest = put.headers.get('docker-content-digest') ?? '';
  return {
    registry,
    repository: to.repository,
    tag: to.tag,
    digest,
    mediaType,
    size: raw.length,
    image: `${registry}/${to.repository}:${to.tag}`,
  };
}

/** Removes the test repository's tags (manifest links of that repository only; the fixture keeps its own). */
export async function deleteRepositoryTags(repository: string): Promise<void> {
  const base = `http://${registryHost()}/v2/${repository}`;
  const listing = await fetch(`${base}/tags/list`);
  if (listing.status !== 200) return;
  const { tags } = (await listing.json()) as { tags: string[] | null };
  const digests = new Set<string>();
  for (const tag of tags ?? []) {
    const head = await fetch(`${base}/manifests/${tag}`, {
      method: 'HEAD',
      headers: { accept: MANIFEST_TYPES },
    });
    const digest = head.headers.get('docker-content-digest');
    if (digest) digests.add(digest);
  }
  for (const digest of digests) await fetch(`${base}/manifests/${digest}`, { method: 'DELETE' });
}

/**
 * The notification envelope Distribution itself POSTs for a manifest push
 * (https://distribution.github.io/distribution/about/notifications/), content type
 * `application/vnd.docker.distribution.events.v1+json`.
 */
export function distributionPushEnvelope(pushed: PushedTag): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    events: [
      {
        id: `push-${suffix()}`,
        timestamp: now,
        action: 'push',
        target: {
          mediaType: pushed.mediaType,
          size: pushed.size,
          digest: pushed.digest,
          length: pushed.size,
          repository: pushed.repository,
          url: `http://${pushed.registry}/v2/${pushed.repository}/manifests/${pushed.digest}`,
          tag: pushed.tag,
        },
        request: {
          id: `request-${suffix()}`,
          addr: '127.0.0.1:40000',
          host: pushed.registry,
          method: 'PUT',
          useragent: 'safe-updater-tests',
        },
        actor: {},
        source: { addr: `${pushed.registry}`, instanceID: `instance-${suffix()}` },
      },
    ],
  };
}

export const DISTRIBUTION_EVENTS_TYPE = 'application/vnd.docker.distribution.events.v1+json';
