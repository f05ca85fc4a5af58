/**
 * Versions of charts stored as OCI artifacts (oci://registry/path/chart): the tags of the chart's
 * repository. Helm writes a chart version's '+' as '_' in tags (OCI tags cannot hold '+'); it is read back.
 */
import type { VersionSource } from '../../core/model.js';
import { ConfigError } from '../../core/errors.js';
import type { Datasource, ReleaseList } from '../types.js';
import { normaliseRegistryHost, type ImageReference } from '../oci-registry/image-ref.js';
import type { RegistryPool } from '../oci-registry/registry-pool.js';

export function parseOciChartRef(ref: string): ImageReference {
  const match = /^oci:\/\/([^/]+)\/(.+?)\/?$/.exec(ref.trim());
  if (!match) throw new ConfigError(`'${ref}' is not an OCI chart reference (oci://registry/path/chart)`);
  return { registry: normaliseRegistryHost(match[1] ?? ''), repository: match[2] ?? '' };
}

function refOf(source: VersionSource): ImageReference {
  if (source.type !== 'oci-chart') throw new TypeError(`oci-chart cannot look up a ${source.type} source`);
  return parseOciChartRef(source.ref);
}

export class OciChartDatasource implements Datasource {
  readonly type = 'oci-chart' as const;
  constructor(private readonly pool: RegistryPool) {}

  async getReleases(source: VersionSource, signal?: AbortSignal): Promise<ReleaseList | undefined> {
    const tags = await this.pool.listTags(refOf(source), signal);
    return tags ? { releases: tags.map((tag) => ({ version: tag.replace(/_/g, '+') })) } : undefined;
  }

  getDigest(source: VersionSource, version: string, signal?: AbortSignal): Promise<string | undefined> {
    return this.pool.getDigest(refOf(source), version.replace(/\+/g, '_'), signal);
  }

  getReleasedAt(source: VersionSource, version: string, signal?: AbortSignal): Promise<Date | undefined> {
    return this.pool.getCreated(refOf(source), version.replace(/\+/g, '_'), signal);
  }
}
