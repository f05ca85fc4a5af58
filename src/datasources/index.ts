/** The one map of datasources: which lookup serves which kind of VersionSource. */
import type { VersionSource } from '../core/model.js';
import { defaultHttpOptions, type HttpOptions } from './http.js';
import { HelmRepoDatasource } from './helm-repo/index.js';
import { OciChartDatasource } from './oci-chart/index.js';
import { CredentialStore, type CredentialDeps } from './oci-registry/credentials.js';
import { OciRegistryDatasource } from './oci-registry/index.js';
import { RegistryPool } from './oci-registry/registry-pool.js';
import type { Datasource } from './types.js';

export type DatasourceMap = Record<VersionSource['type'], Datasource>;

export interface DatasourceDeps extends CredentialDeps {
  http?: Partial<HttpOptions>;
  cacheTtlMs?: number;
  pageSize?: number;
}

/** The datasources; `credentials` is shared by registries and chart repositories (one store, read once). */
export function createDatasources(
  deps: DatasourceDeps,
  credentials = new CredentialStore(deps),
): DatasourceMap {
  const http: HttpOptions = { ...defaultHttpOptions, ...deps.http };
  const pool = new RegistryPool({
    http,
    credentials,
    ...(deps.cacheTtlMs === undefined ? {} : { cacheTtlMs: deps.cacheTtlMs }),
    ...(deps.pageSize === undefined ? {} : { pageSize: deps.pageSize }),
    registries: deps.registries,
  });
  return {
    'oci-image': new OciRegistryDatasource(pool),
    'oci-chart': new OciChartDatasource(pool),
    'helm-repo': new HelmRepoDatasource({
      http,
      credentials,
      ...(deps.cacheTtlMs === undefined ? {} : { cacheTtlMs: deps.cacheTtlMs }),
    }),
  };
}

export function datasourceFor(map: DatasourceMap, source: VersionSource): Datasource {
  const datasource = (map as Partial<DatasourceMap>)[source.type];
  if (!datasource) throw new TypeError(`no datasource for version source type '${String(source.type)}'`);
  return datasource;
}
