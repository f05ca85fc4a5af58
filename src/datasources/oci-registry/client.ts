/**
 * A small OCI / Docker v2 registry client, on Renovate's model: probe /v2/ once per registry for its
 * challenge; Basic → send credentials; Bearer → fetch a token for `repository:NAME:pull` from the realm
 * (with credentials when we have them, anonymously otherwise) and keep it until it expires; list tags
 * following `Link` pages; read digests with HEAD (registries count GETs of manifests against rate limits).
 * 404 → undefined; 401/403 → a non-transient ExternalHostError that says to check credentials.
 */
import { createHash } from 'node:crypto';
import { ExternalHostError } from '../../core/errors.js';
import { httpRequest, type HttpAnswer, type HttpOptions } from '../http.js';
import type { RegistryCredentials } from './credentials.js';
import { nextPageUrl } from './link-header.js';
import { parseWwwAuthenticate, type Challenge } from './www-authenticate.js';

/** The four manifest media types: OCI index and manifest, Docker manifest list and v2 manifest. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

export interface RegistryEndpoint {
  /** Registry name as in image references (index.docker.io, 127.0.0.1:5001). */
  registry: string;
  /** Base URL of the API, e.g. http://127.0.0.1:5001 or https://registry-1.docker.io. */
  baseUrl: string;
}

export interface RegistryClientDeps {
  endpoint: RegistryEndpoint;
  credentials: () => Promise<RegistryCredentials | undefined>;
  http: HttpOptions;
  /** Tags asked per page (`n`). */
  pageSize?: number;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

function basicHeader(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username ?? ''}:${credentials.password ?? ''}`).toString('base64')}`;
}

export class RegistryClient {
  private challenge: Promise<Challenge | undefined> | undefined;
  private readonly tokens = new Map<string, Promise<CachedToken>>();
  private readonly host: string;

  constructor(private readonly deps: RegistryClientDeps) {
    this.host = deps.endpoint.registry;
  }

  private probe(signal?: AbortSignal): Promise<Challenge | undefined> {
    this.challenge ??= (async () => {
      const answer = await this.send(`${this.deps.endpoint.baseUrl}/v2/`, {}, signal);
      if (answer.status === 200) return undefined;
      if (answer.status === 401) {
        const challenge = parseWwwAuthenticate(answer.headers.get('www-authenticate'));
        if (challenge) return challenge;
      }
      throw new ExternalHostError(
        this.host,
        `registry ${this.host} answered ${answer.status} on /v2/: not a Docker v2 / OCI registry?`,
        {
          transient: answer.status >= 500,
        },
      );
    })();
    this.challenge.catch(() => {
      this.challenge = undefined;
    });
    return this.challenge;
  }

  private send(
    url: string,
    headers: Record<string, string>,
    signal?: AbortSignal,
    method = 'GET',
  ): Promise<HttpAnswer> {
    return httpRequest(this.host, url, { method, headers }, this.deps.http, signal);
  }

  private authError(status: number, repository: string, detail: string): ExternalHostError {
    return new ExternalHostError(
      this.host,
      `registry ${this.host} refused access to ${repository} (${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'})${detail}`,
      {
        transient: false,
        hint: `check the credentials for ${this.host} (registries[].username/password, docker config.json, imagePullSecrets)`,
      },
    );
  }

  private async fetchToken(challenge: Challenge, scope: string, signal?: AbortSignal): Promise<CachedToken> {
    const realm = challenge.params.realm;
    if (!realm)
      throw new ExternalHostError(
        this.host,
        `registry ${this.host} sent a Bearer challenge without a realm`,
        { transient: false },
      );
    const credentials = await this.deps.credentials();
    const url = new URL(realm);
    const service = challenge.params.service;
    let answer: HttpAnswer;
    if (credentials?.identityToken) {
      // OAuth2 refresh-token grant (distribution token spec "oauth.md").
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: credentials.identityToken,
        client_id: 'safe-updater',
        scope,
      });
      if (service) form.set('service', service);
      answer = await httpRequest(
        this.host,
        url.toString(),
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: form.toString(),
        },
        this.deps.http,
        signal,
      );
    } else {
      if (service) url.searchParams.set('service', service);
      url.searchParams.set('scope', scope);
      const headers: Record<string, string> =
        credentials?.username !== undefined ? { authorization: basicHeader(credentials) } : {};
      answer = await this.send(url.toString(), headers, signal);
    }
    if (answer.status === 401 || answer.status === 403)
      throw this.authError(answer.status, scope, ` at the token service ${url.origin}`);
    if (answer.status !== 200) {
      throw new ExternalHostError(
        this.host,
        `token service ${url.origin} answered ${answer.status} for ${scope}`,
        { transient: answer.status >= 500 },
      );
    }
    const body = JSON.parse(answer.body) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (!token)
      throw new ExternalHostError(this.host, `token service ${url.origin} answered without a token`, {
        transient: false,
      });
    // Refresh a little early; the spec's default lifetime is 60 s.
    const lifetime = Math.max(10, (body.expires_in ?? 60) - 5) * 1000;
    return { token, expiresAt: this.deps.http.clock.now().getTime() + lifetime };
  }

  private async authorization(repository: string, signal?: AbortSignal): Promise<Record<string, string>> {
    const challenge = await this.probe(signal);
    if (!challenge) return {};
    const credentials = await this.deps.credentials();
    if (credentials?.registryToken) return { authorization: `Bearer ${credentials.registryToken}` };
    if (challenge.scheme === 'basic') {
      if (!credentials)
        throw this.authError(401, repository, ': it wants a user name and password and none is configured');
      return { authorization: basicHeader(credentials) };
    }
    const scope = `repository:${repository}:pull`;
    const now = this.deps.http.clock.now().getTime();
    const held = this.tokens.get(scope);
    const cached = held ? await held.catch(() => undefined) : undefined;
    if (cached && cached.expiresAt > now) return { authorization: `Bearer ${cached.token}` };
    const token = this.fetchToken(challenge, scope, signal);
    this.tokens.set(scope, token);
    token.catch(() => this.tokens.delete(scope));
    return { authorization: `Bearer ${(await token).token}` };
  }

  /** An authorised request; on a 401 with a cached token, the token is fetched anew once. */
  private async authorized(
    url: string,
    repository: string,
    headers: Record<string, string>,
    signal?: AbortSignal,
    method = 'GET',
  ): Promise<HttpAnswer> {
    let answer = await this.send(
      url,
      { ...headers, ...(await this.authorization(repository, signal)) },
      signal,
      method,
    );
    if (answer.status === 401 && this.tokens.has(`repository:${repository}:pull`)) {
      this.tokens.delete(`repository:${repository}:pull`);
      answer = await this.send(
        url,
        { ...headers, ...(await this.authorization(repository, signal)) },
        signal,
        method,
      );
    }
    if (answer.status === 401 || answer.status === 403) throw this.authError(answer.status, repository, '');
    return answer;
  }

  private unexpected(answer: HttpAnswer, what: string): ExternalHostError {
    return new ExternalHostError(
      this.host,
      `registry ${this.host} answered ${answer.status} ${answer.statusText} for ${what}`,
      {
        transient: false,
      },
    );
  }

  /** All tags of a repository, following Link pages; undefined when the repository does not exist. */
  async listTags(repository: string, signal?: AbortSignal): Promise<string[] | undefined> {
    const tags: string[] = [];
    let url: string | undefined =
      `${this.deps.endpoint.baseUrl}/v2/${repository}/tags/list?n=${this.deps.pageSize ?? 1000}`;
    const seen = new Set<string>();
    while (url) {
      if (seen.has(url))
        throw new ExternalHostError(this.host, `registry ${this.host} sent a Link loop for ${repository}`, {
          transient: false,
        });
      seen.add(url);
      const answer = await this.authorized(url, repository, { accept: 'application/json' }, signal);
      if (answer.status === 404) return undefined;
      if (answer.status !== 200) throw this.unexpected(answer, `the tags of ${repository}`);
      const body = JSON.parse(answer.body) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      url = nextPageUrl(answer.headers.get('link'), answer.url);
    }
    return tags;
  }

  /** The digest a tag points to (HEAD; GET only when HEAD has no digest header); undefined when absent. */
  async getDigest(repository: string, reference: string, signal?: AbortSignal): Promise<string | undefined> {
    const url = `${this.deps.endpoint.baseUrl}/v2/${repository}/manifests/${reference}`;
    const accept = { accept: MANIFEST_MEDIA_TYPES.join(', ') };
    const head = await this.authorized(url, repository, accept, signal, 'HEAD');
    if (head.status === 404) return undefined;
    if (head.status !== 200) throw this.unexpected(head, `manifest ${repository}:${reference}`);
    const digest = head.headers.get('docker-content-digest');
    if (digest) return digest;
    const get = await this.getManifest(repository, reference, signal);
    return get ? `sha256:${createHash('sha256').update(get.body).digest('hex')}` : undefined;
  }

  private async getManifest(
    repository: string,
    reference: string,
    signal?: AbortSignal,
  ): Promise<HttpAnswer | undefined> {
    const url = `${this.deps.endpoint.baseUrl}/v2/${repository}/manifests/${reference}`;
    const answer = await this.authorized(
      url,
      repository,
      { accept: MANIFEST_MEDIA_TYPES.join(', ') },
      signal,
    );
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw this.unexpected(answer, `manifest ${repository}:${reference}`);
    return answer;
  }

  /**
   * When an image or chart was made: the image config's `created`, or the manifest's
   * `org.opencontainers.image.created` annotation. Costs GETs, so only asked for when a policy has minAge.
   */
  async getCreated(repository: string, reference: string, signal?: AbortSignal): Promise<Date | undefined> {
    const answer = await this.getManifest(repository, reference, signal);
    if (!answer) return undefined;
    interface Manifest {
      manifests?: { digest: string; platform?: { os?: string; architecture?: string } }[];
      config?: { digest: string; mediaType?: string };
      annotations?: Record<string, string>;
    }
    let manifest = JSON.parse(answer.body) as Manifest;
    const annotated = manifest.annotations?.['org.opencontainers.image.created'];
    if (annotated) return new Date(annotated);
    const chosen =
      manifest.manifests?.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64') ??
      manifest.manifests?.[0];
    if (chosen) {
      const child = await this.getManifest(repository, chosen.digest, signal);
      if (!child) return undefined;
      manifest = JSON.parse(child.body) as Manifest;
    }
    if (
      !manifest.config ||
      (!manifest.config.mediaType?.includes('image.config') &&
        !manifest.config.mediaType?.includes('container.image'))
    ) {
      return undefined;
    }
    const blob = await this.authorized(
      `${this.deps.endpoint.baseUrl}/v2/${repository}/blobs/${manifest.config.digest}`,
      repository,
      {},
      signal,
    );
    if (blob.status !== 200) return undefined;
    const created = (JSON.parse(blob.body) as { created?: string }).created;
    return created ? new Date(created) : undefined;
  }
}
