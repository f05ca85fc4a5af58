/** Discovery: each source finds what runs and returns Asset[]. One map in ./index.ts names them all. */
import type { Asset } from '../core/model.js';

export interface DiscoveryProblem {
  /** What could not be read, e.g. "helm releases in namespace prod", "container web". */
  subject: string;
  message: string;
  /** True when the source itself was unreachable (the scan must not read this as "nothing runs"). */
  unavailable: boolean;
}

export interface DiscoveryResult {
  assets: Asset[];
  problems: DiscoveryProblem[];
}

export interface Source {
  readonly kind: Asset['kind'];
  discover(signal?: AbortSignal): Promise<DiscoveryResult>;
}
