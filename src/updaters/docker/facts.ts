/**
 * The undo plan of a Docker update, journaled (with the move to `applying`) before anything is touched.
 * It alone must be enough to put the service back after a SIGKILL at any point: which container is the
 * old one, where it is parked, and — should it vanish — how to create it again.
 */
import { SafeUpdaterError } from '../../core/errors.js';
import { BACKUP_MARKER } from '../../sources/docker.js';
import type { RecreateSpec } from './recreate-spec.js';

export interface DockerUpdateFacts {
  /** The name the service is known by; the old container holds it before, the new one after. */
  containerName: string;
  oldId: string;
  /** Config.Image of the old container (the reference it was created from). */
  oldImage: string;
  /** Image id the old container runs (sha256:…). */
  oldImageId: string;
  /** Where the old container is parked during the update: `<name>-safe-updater-old-<short id>`. */
  backupName: string;
  /** Whether the old container was running (a stopped one is restored stopped). */
  wasRunning: boolean;
  /** The old container's HEALTHCHECK status before the update ('none' without one). */
  oldHealth?: string;
  /** Seconds the engine waits before killing on stop. */
  stopTimeoutSeconds: number;
  /** The reference the new container is created from, and the image id it resolved to. */
  targetImage: string;
  targetImageId: string;
  /** How the new container is created. */
  create: RecreateSpec;
  /** How to create the old container again, from its own image id, should it be gone. */
  restore: RecreateSpec;
}

export function backupName(name: string, id: string): string {
  return `${name}${BACKUP_MARKER}${id.slice(0, 12)}`;
}

export function toFacts(facts: DockerUpdateFacts): Record<string, unknown> {
  return { ...facts };
}

export function readFacts(raw: Record<string, unknown>): DockerUpdateFacts {
  const required = [
    'containerName',
    'oldId',
    'oldImageId',
    'backupName',
    'targetImage',
    'targetImageId',
    'restore',
  ] as const;
  const missing = required.filter((key) => raw[key] === undefined || raw[key] === null);
  if (missing.length) {
    throw new SafeUpdaterError(`the journaled facts of this Docker update lack ${missing.join(', ')}`, {
      hint: 'the record was not written by this version of the Docker updater; inspect the container by hand',
    });
  }
  return raw as unknown as DockerUpdateFacts;
}
