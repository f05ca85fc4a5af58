/**
 * The one map of updaters: asset kind → Updater. Each is built on first use, so a command that only
 * touches Helm releases never connects to Docker (and a missing helm binary only matters to Helm assets).
 */
import { ConfigError } from '../core/errors.js';
import type { AssetKind } from '../core/model.js';
import type { Updater } from './types.js';

export type UpdaterFactories = Partial<Record<AssetKind, () => Updater>>;

export interface Updaters {
  /** The updater of `kind`; ConfigError naming the kind when there is none. */
  get(kind: string): Updater;
  kinds(): AssetKind[];
}

export function createUpdaters(factories: UpdaterFactories): Updaters {
  const built = new Map<string, Updater>();
  const known = (): AssetKind[] => Object.keys(factories) as AssetKind[];
  return {
    get(kind) {
      const existing = built.get(kind);
      if (existing) return existing;
      const factory = Object.hasOwn(factories, kind) ? factories[kind as AssetKind] : undefined;
      if (!factory) {
        throw new ConfigError(`no updater for asset kind "${kind}"`, {
          hint: `known kinds: ${known().join(', ') || 'none (all disabled in the configuration)'}`,
        });
      }
      const updater = factory();
      built.set(kind, updater);
      return updater;
    },
    kinds: known,
  };
}
