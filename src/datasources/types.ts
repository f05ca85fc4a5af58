/**
 * Version lookup: each datasource lists the versions that exist for a VersionSource. One map in
 * ./index.ts names them all. An expected miss (404: no such repository or chart) returns
 * `undefined`; a host failure (429, 5xx, reset, timeout) throws ExternalHostError — a broken registry
 * never looks like "no update available" (Renovate's rule).
 */
import type { VersionSource } from '../core/model.js';

export interface Release {
  version: string;
  digest?: string;
  releasedAt?: Date;
  /** Chart's appVersion, for display. */
  appVersion?: string;
}

export interface ReleaseList {
  releases: Release[];
}

export interface Datasource {
  readonly type: VersionSource['type'];
  getReleases(source: VersionSource, signal?: AbortSignal): Promise<ReleaseList | undefined>;
  /** Digest of one tag (HEAD manifest); undefined when the tag does not exist. */
  getDigest?(source: VersionSource, version: string, signal?: AbortSignal): Promise<string | undefined>;
  /** When a version was released (image created time, chart created time), for minimum-age policies. */
  getReleasedAt?(source: VersionSource, version: string, signal?: AbortSignal): Promise<Date | undefined>;
}
