/**
 * Docker discovery: running containers that opt in (`safe-updater.io/enable=true`, or Watchtower's
 * `com.centurylinklabs.watchtower.enable=true`), or every running container when `all` is set — an explicit
 * `false` always opts out. Containers kept by an update for rollback (`<name>-safe-updater-old-<id>`) are
 * never assets.
 */
import type { Asset, HealthCheckSpec } from '../core/model.js';
import { errorMessage, ExternalHostError } from '../core/errors.js';
import type { DockerClient } from '../docker/client.js';
import { parseImageReference } from '../datasources/oci-registry/image-ref.js';
import { digestFor, repositoryName } from '../docker/image-ref.js';
import { dependencies, healthCheckNames, isEnabled, isMonitorOnly, policyLabel } from '../docker/labels.js';
import type { ContainerInspect, ImageInspect } from '../docker/types.js';
import type { DiscoveryProblem, DiscoveryResult, Source } from './types.js';

export interface DockerSourceOptions {
  client: DockerClient;
  /** The host's name in asset ids: docker/<hostName>/<container>. */
  hostName: string;
  /** Take every running container, not only those labelled to opt in. */
  all?: boolean;
  /** Policy for containers without a policy label. */
  defaultPolicy: string;
  /** Named health checks from the config, referenced by the `safe-updater.io/health-check` label. */
  healthChecks?: Readonly<Record<string, HealthCheckSpec>>;
}

/** Marks the container an update keeps for rollback; see backupName() in the updater. */
export const BACKUP_MARKER = '-safe-updater-old-';

export function containerName(container: Pick<ContainerInspect, 'Name'>): string {
  return container.Name.replace(/^\//, '');
}

export function dockerAssetId(hostName: string, name: string): string {
  return `docker/${hostName}/${name}`;
}

/** Builds the asset of one container; `networkPeer` is the name behind `network_mode: container:X`. */
export function assetFromContainer(
  container: ContainerInspect,
  image: ImageInspect | undefined,
  options: Pick<DockerSourceOptions, 'hostName' | 'defaultPolicy' | 'healthChecks'> & {
    networkPeer?: string;
  },
): { asset: Asset; unknownChecks: string[] } {
  const name = containerName(container);
  const labels = container.Config.Labels ?? {};
  const imageRef = container.Config.Image ?? '';
  const ref = parseImageReference(imageRef);
  const digest = digestFor(image?.RepoDigests, imageRef) ?? ref.digest;
  const checkNames = healthCheckNames(labels);
  const checks = checkNames
    .map((check) => options.healthChecks?.[check])
    .filter((c): c is HealthCheckSpec => c !== undefined);
  const unknownChecks = checkNames.filter((check) => !options.healthChecks?.[check]);
  const asset: Asset = {
    id: dockerAssetId(options.hostName, name),
    kind: 'docker',
    name,
    namespace: options.hostName,
    current: { version: ref.tag ?? 'latest', ...(digest ? { digest } : {}) },
    source: { type: 'oci-image', image: repositoryName(ref) },
    container: { id: container.Id, name, dependsOn: dependencies(labels, options.networkPeer) },
    labels: { ...labels },
    annotations: {},
    policy: policyLabel(labels) ?? options.defaultPolicy,
    healthChecks: checks,
    monitorOnly: isMonitorOnly(labels),
  };
  return { asset, unknownChecks };
}

/** The name of the container whose network namespace this one joins, if any. */
export async function networkPeerName(
  client: DockerClient,
  container: ContainerInspect,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const mode = container.HostConfig.NetworkMode ?? '';
  if (!mode.startsWith('container:')) return undefined;
  const peer = mode.slice('container:'.length);
  const inspected = await client.findContainer(peer, signal);
  return inspected ? containerName(inspected) : peer;
}

export function createDockerSource(options: DockerSourceOptions): Source {
  const { client } = options;
  return {
    kind: 'docker',
    async discover(signal?: AbortSignal): Promise<DiscoveryResult> {
      const problems: DiscoveryProblem[] = [];
      let summaries;
      try {
        summaries = await client.listContainers({ all: false }, signal);
      } catch (error) {
        return {
          assets: [],
          problems: [
            {
              subject: `Docker host ${options.hostName}`,
              message: errorMessage(error),
              unavailable: error instanceof ExternalHostError,
            },
          ],
        };
      }
      const assets: Asset[] = [];
      for (const summary of summaries) {
        const name = (summary.Names[0] ?? summary.Id).replace(/^\//, '');
        if (name.includes(BACKUP_MARKER)) continue;
        if (!isEnabled(summary.Labels ?? {}, options.all ?? false)) continue;
        try {
          const container = await client.inspectContainer(summary.Id, signal);
          const image = await client.findImage(container.Image, signal);
          const networkPeer = await networkPeerName(client, container, signal);
          const { asset, unknownChecks } = assetFromContainer(container, image, { ...options, networkPeer });
          if (unknownChecks.length) {
            problems.push({
              subject: `container ${name}`,
              message: `unknown health check(s) ${unknownChecks.join(', ')} in label safe-updater.io/health-check`,
              unavailable: false,
            });
          }
          assets.push(asset);
        } catch (error) {
          problems.push({
            subject: `container ${name}`,
            message: errorMessage(error),
            unavailable: error instanceof ExternalHostError,
          });
        }
      }
      return { assets, problems };
    },
  };
}

/** The asset ids a Docker asset depends on (its container dependencies live on the same host). */
export function dependencyAssetIds(asset: Asset): string[] {
  return (asset.container?.dependsOn ?? []).map((name) => dockerAssetId(asset.namespace, name));
}
