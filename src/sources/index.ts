/**
 * The one map of sources: which discovery serves which kind of asset. Each source is built lazily by a
 * factory; a factory that cannot build its source (no kubeconfig, bad Docker host) yields a source that
 * reports itself unavailable, so a scan lists the problem instead of reading it as "nothing runs".
 */
import type { AssetKind } from '../core/model.js';
import { errorMessage } from '../core/errors.js';
import { createDockerSource, type DockerSourceOptions } from './docker.js';
import { createHelmSource, type HelmSourceOptions } from './helm.js';
import { createKubernetesSource, type KubernetesSourceOptions } from './kubernetes.js';
import type { Source } from './types.js';

export interface SourceOptionsByKind {
  helm: HelmSourceOptions;
  kubernetes: KubernetesSourceOptions;
  docker: DockerSourceOptions;
}

export const SOURCE_FACTORIES: { [K in AssetKind]: (options: SourceOptionsByKind[K]) => Source } = {
  helm: createHelmSource,
  kubernetes: createKubernetesSource,
  docker: createDockerSource,
};

export const SOURCE_KINDS = Object.keys(SOURCE_FACTORIES) as AssetKind[];

/** Options of each enabled kind, built on demand (building may fail: the source then reports it). */
export type SourceOptionFactories = { [K in AssetKind]?: () => SourceOptionsByKind[K] };

function unavailableSource(kind: AssetKind, message: string): Source {
  return {
    kind,
    discover: () =>
      Promise.resolve({ assets: [], problems: [{ subject: `${kind} source`, message, unavailable: true }] }),
  };
}

export function createSources(
  options: SourceOptionFactories,
  kinds: readonly AssetKind[] = SOURCE_KINDS,
): Source[] {
  const sources: Source[] = [];
  const build = <K extends AssetKind>(kind: K): void => {
    const factory = options[kind] as (() => SourceOptionsByKind[K]) | undefined;
    if (!factory) return;
    try {
      sources.push(SOURCE_FACTORIES[kind](factory()));
    } catch (error) {
      sources.push(unavailableSource(kind, errorMessage(error)));
    }
  };
  for (const kind of kinds) build(kind);
  return sources;
}
