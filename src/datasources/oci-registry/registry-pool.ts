/**
 * One RegistryClient per registry (so tokens and the /v2/ probe are shared) and one cache of tag
 * listings and digests across all assets of a scan: 50 workloads on one repository cause one listing.
 */
import type { HttpOptions } from '../http.js';
import { LookupCache } from '../lookup-cache.js';
import { RegistryClient } from './client.js';
import { findRegistrySettings, type CredentialStore, type RegistrySettings } from './credentials.js';
import { apiHost, repositoryKey, type ImageReference } from './image-ref.js';

export interface RegistryPoolDeps {
  http: HttpOptions;
  credentials: CredentialStore;
  /** For plain-HTTP (insecure) settings per registry. */
  registries: RegistrySettings[];
  /** How long a tag listing or digest stays fresh. */
  cacheTtlMs?: number;
  pageSize?: number;
}

/** Docker always allows plain HTTP to loopback registries (127.0.0.0/8); so do we. Others need `insecure: true`. */
function isLoopback(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '');
  return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
}

export function registryBaseUrl(registry: string, settings: RegistrySettings | undefined): string {
  const plain = settings?.insecure === true || isLoopback(registry);
  return `${plain ? 'http' : 'https'}://${apiHost(registry)}`;
}

export class RegistryPool {
  private readonly clients = new Map<string, RegistryClient>();
  private readonly tags: LookupCache<string[] | undefined>;
  private readonly digests: LookupCache<string | undefined>;

  constructor(private readonly deps: RegistryPoolDeps) {
    const ttl = deps.cacheTtlMs ?? 5 * 60_000;
    this.tags = new LookupCache(ttl, deps.http.clock);
    this.digests = new LookupCache(ttl, deps.http.clock);
  }

  client(registry: string): RegistryClient {
    let client = this.clients.get(registry);
    if (!client) {
      client = new RegistryClient({
        endpoint: {
          registry,
          baseUrl: registryBaseUrl(registry, findRegistrySettings(this.deps.registries, registry)),
        },
        credentials: () => this.deps.credentials.forRegistry(registry),
        http: this.deps.http,
        ...(this.deps.pageSize === undefined ? {} : { pageSize: this.deps.pageSize }),
      });
      this.clients.set(registry, client);
    }
    return client;
  }

  listTags(ref: ImageReference, signal?: AbortSignal): Promise<string[] | undefined> {
    return this.tags.get(repositoryKey(ref), () =>
      this.client(ref.registry).listTags(ref.repository, signal),
    );
  }

  getDigest(ref: ImageReference, reference: string, signal?: AbortSignal): Promise<string | undefined> {
    return this.digests.get(`${repositoryKey(ref)}:${reference}`, () =>
      this.client(ref.registry).getDigest(ref.repository, reference, signal),
    );
  }

  getCreated(ref: ImageReference, reference: string, signal?: AbortSignal): Promise<Date | undefined> {
    return this.client(ref.registry).getCreated(ref.repository, reference, signal);
  }
}
