/**
 * Chart versions from HTTP chart repositories: `<repo>/index.yaml` (Helm's repository format), with basic
 * auth from the matching `registries` entry (or user:password in the URL), cached per repository URL so
 * every release of one repository shares one download.
 */
import { parse } from 'yaml';
import type { VersionSource } from '../../core/model.js';
import { ExternalHostError, errorMessage } from '../../core/errors.js';
import type { Datasource, Release, ReleaseList } from '../types.js';
import { httpRequest, type HttpOptions } from '../http.js';
import { LookupCache } from '../lookup-cache.js';
import type { CredentialStore } from '../oci-registry/credentials.js';

interface IndexEntry {
  version?: string;
  appVersion?: string;
  created?: string;
}
type ChartIndex = Record<string, Release[]>;

export interface HelmRepoDeps {
  http: HttpOptions;
  credentials: CredentialStore;
  cacheTtlMs?: number;
}

function parseIndex(text: string, url: string): ChartIndex {
  let document: { entries?: Record<string, IndexEntry[] | null> };
  try {
    document = (parse(text) ?? {}) as typeof document;
  } catch (error) {
    throw new ExternalHostError(
      new URL(url).host,
      `chart repository ${url} served an index.yaml that is not YAML: ${errorMessage(error)}`,
      {
        transient: false,
      },
    );
  }
  const index: ChartIndex = {};
  for (const [chart, entries] of Object.entries(document.entries ?? {})) {
    index[chart] = (entries ?? [])
      .filter((entry): entry is IndexEntry & { version: string } => typeof entry.version === 'string')
      .map((entry) => ({
        version: entry.version,
        ...(entry.appVersion === undefined ? {} : { appVersion: String(entry.appVersion) }),
        ...(entry.created ? { releasedAt: new Date(entry.created) } : {}),
      }));
  }
  return index;
}

export class HelmRepoDatasource implements Datasource {
  readonly type = 'helm-repo' as const;
  private readonly cache: LookupCache<ChartIndex | undefined>;

  constructor(private readonly deps: HelmRepoDeps) {
    this.cache = new LookupCache(deps.cacheTtlMs ?? 5 * 60_000, deps.http.clock);
  }

  private async fetchIndex(repoUrl: string, signal?: AbortSignal): Promise<ChartIndex | undefined> {
    const url = new URL(repoUrl.replace(/\/?$/, '/index.yaml'));
    const headers: Record<string, string> = { accept: 'application/x-yaml, text/yaml, */*' };
    let user = decodeURIComponent(url.username);
    let password = decodeURIComponent(url.password);
    url.username = '';
    url.password = '';
    if (!user) {
      const credentials = await this.deps.credentials.forRegistry(url.host.toLowerCase());
      user = credentials?.username ?? '';
      password = credentials?.password ?? '';
    }
    if (user) headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const answer = await httpRequest(url.host, url.toString(), { headers }, this.deps.http, signal);
    if (answer.status === 404) return undefined;
    if (answer.status === 401 || answer.status === 403) {
      throw new ExternalHostError(
        url.host,
        `chart repository ${url.origin} refused access (${answer.status})`,
        {
          transient: false,
          hint: `check the credentials for ${url.host} (registries[].username/password)`,
        },
      );
    }
    if (answer.status !== 200) {
      throw new ExternalHostError(
        url.host,
        `chart repository ${url.origin} answered ${answer.status} ${answer.statusText}`,
        { transient: false },
      );
    }
    return parseIndex(answer.body, url.toString());
  }

  private async chartReleases(source: VersionSource, signal?: AbortSignal): Promise<Release[] | undefined> {
    if (source.type !== 'helm-repo') throw new TypeError(`helm-repo cannot look up a ${source.type} source`);
    const index = await this.cache.get(source.repoUrl.replace(/\/+$/, ''), () =>
      this.fetchIndex(source.repoUrl, signal),
    );
    return index?.[source.chart];
  }

  async getReleases(source: VersionSource, signal?: AbortSignal): Promise<ReleaseList | undefined> {
    const releases = await this.chartReleases(source, signal);
    return releases ? { releases } : undefined;
  }

  async getReleasedAt(
    source: VersionSource,
    version: string,
    signal?: AbortSignal,
  ): Promise<Date | undefined> {
    return (await this.chartReleases(source, signal))?.find((r) => r.version === version)?.releasedAt;
  }
}
