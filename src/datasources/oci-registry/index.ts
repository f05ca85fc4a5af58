/** Image tags and digests from OCI / Docker v2 registries. */
import type { VersionSource } from '../../core/model.js';
import type { Datasource, ReleaseList } from '../types.js';
import { parseImageReference } from './image-ref.js';
import type { RegistryPool } from './registry-pool.js';

function imageOf(source: VersionSource): string {
  if (source.type !== 'oci-image') throw new TypeError(`oci-registry cannot look up a ${source.type} source`);
  return source.image;
}

export class OciRegistryDatasource implements Datasource {
  readonly type = 'oci-image' as const;
  constructor(private readonly pool: RegistryPool) {}

  async getReleases(source: VersionSource, signal?: AbortSignal): Promise<ReleaseList | undefined> {
    const tags = await this.pool.listTags(parseImageReference(imageOf(source)), signal);
    return tags ? { releases: tags.map((version) => ({ version })) } : undefined;
  }

  getDigest(source: VersionSource, version: string, signal?: AbortSignal): Promise<string | undefined> {
    return this.pool.getDigest(parseImageReference(imageOf(source)), version, signal);
  }

  getReleasedAt(source: VersionSource, version: string, signal?: AbortSignal): Promise<Date | undefined> {
    return this.pool.getCreated(parseImageReference(imageOf(source)), version, signal);
  }
}
