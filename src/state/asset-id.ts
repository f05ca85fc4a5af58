/**
 * Asset ids: helm/<namespace>/<release>; k8s/<namespace>/<kind>/<name>/container/<container>;
 * docker/<host>/<container name>.
 */
import type { AssetKind } from '../core/model.js';
import { UsageError } from '../core/errors.js';

export interface AssetIdParts {
  kind: AssetKind;
  namespace: string;
  name: string;
}

const FORMS = 'helm/NAMESPACE/RELEASE, k8s/NAMESPACE/KIND/NAME/container/CONTAINER or docker/HOST/NAME';

/** kind, namespace (or Docker host) and name of an asset id; UsageError when it is not one. */
export function parseAssetId(id: string): AssetIdParts {
  const parts = id.split('/');
  const [prefix, namespace = '', second = '', third = '', fourth] = parts;
  if (parts.every((part) => part !== '')) {
    if (prefix === 'helm' && parts.length === 3) return { kind: 'helm', namespace, name: second };
    if (prefix === 'docker' && parts.length === 3) return { kind: 'docker', namespace, name: second };
    if (prefix === 'k8s' && parts.length === 6 && fourth === 'container') {
      return { kind: 'kubernetes', namespace, name: third };
    }
  }
  throw new UsageError(`not an asset id: ${id}`, { hint: `asset ids look like ${FORMS}` });
}
