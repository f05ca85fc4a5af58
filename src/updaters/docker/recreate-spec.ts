/**
 * What a recreated container must carry, and what cannot be carried.
 *
 * Watchtower's rule (pkg/container/container.go, GetCreateConfig): a container's Config mixes what the user
 * set with the image's defaults; carry only what differs from the OLD image's defaults, so that the new
 * image's defaults (its Env, Cmd, Labels, HEALTHCHECK, …) apply where the user set nothing. HostConfig is
 * carried as set. Unlike Watchtower, anything we cannot reproduce faithfully is refused before the old
 * container is touched, naming the field.
 */
import { isDeepStrictEqual } from 'node:util';
import type {
  ContainerConfig,
  ContainerCreateBody,
  ContainerInspect,
  EndpointSettings,
  HostConfig,
  ImageInspect,
  MountPoint,
} from '../../docker/types.js';

export interface RecreateInput {
  container: ContainerInspect;
  /** The image the container runs now (its defaults are what the user did NOT set). */
  image: ImageInspect | undefined;
  /** Reference the new container is created from, e.g. registry/app:1.1.0. */
  targetImage: string;
  /** For `network_mode: container:X`: whether X still exists. */
  networkPeerExists?: boolean;
  /** Names of volumes that exist on the engine (to re-attach anonymous volumes by name). */
  volumes?: ReadonlySet<string>;
}

export interface RecreateSpec {
  /** Body of POST /containers/create. */
  body: ContainerCreateBody;
  /** Networks beyond the first, connected after create (API < 1.44 takes one endpoint at create). */
  extraNetworks: { network: string; endpoint: EndpointSettings }[];
}

export interface Refusal {
  /** The inspect path, e.g. HostConfig.AutoRemove, Mounts[/data]. */
  field: string;
  reason: string;
}

export type RecreatePlan = { ok: true; spec: RecreateSpec } | { ok: false; refusals: Refusal[] };

/** Config keys carried when they differ from the image's default (Watchtower's set). */
const DIFFED_KEYS = new Set([
  'Env',
  'Cmd',
  'Entrypoint',
  'Labels',
  'ExposedPorts',
  'Volumes',
  'Healthcheck',
  'WorkingDir',
  'User',
  'StopSignal',
  'Shell',
]);
/** Config keys carried as the container has them. */
const AS_SET_KEYS = new Set([
  'Hostname',
  'Domainname',
  'AttachStdin',
  'AttachStdout',
  'AttachStderr',
  'Tty',
  'OpenStdin',
  'StdinOnce',
  'NetworkDisabled',
  'StopTimeout',
]);
/**
 * Config keys deliberately not carried: Image is replaced; OnBuild and ArgsEscaped belong to images;
 * MacAddress is generated per container (API ≥ 1.44 moved a fixed one to the endpoint, which we carry).
 */
const IGNORED_KEYS = new Set(['Image', 'OnBuild', 'ArgsEscaped', 'MacAddress']);

/** HostConfig keys the engine reports but a create must not receive back. */
const HOST_CONFIG_REPORT_ONLY = new Set(['ContainerIDFile', 'ConsoleSize']);

/** The engine's default PATH (Docker and podman add it when the image has none). */
const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === false || value === 0) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

function same(a: unknown, b: unknown): boolean {
  if (isEmpty(a) && isEmpty(b)) return true;
  return isDeepStrictEqual(a, b);
}

function envName(entry: string): string {
  const eq = entry.indexOf('=');
  return eq < 0 ? entry : entry.slice(0, eq);
}

/**
 * Env entries the user set: those not in the image's env, minus what the engine injects itself
 * (HOSTNAME of this container, podman's `container=podman`, the default PATH and TERM when the image has none).
 */
function carriedEnv(container: ContainerConfig, image: ContainerConfig): string[] {
  const imageEnv = new Set(image.Env ?? []);
  const imageNames = new Set((image.Env ?? []).map(envName));
  return (container.Env ?? []).filter((entry) => {
    if (imageEnv.has(entry)) return false;
    if (entry === `HOSTNAME=${container.Hostname ?? ''}`) return false;
    if (entry === 'container=podman') return false;
    if (entry === DEFAULT_PATH && !imageNames.has('PATH')) return false;
    if (entry === 'TERM=xterm' && !imageNames.has('TERM')) return false;
    return true;
  });
}

function carriedRecord<T>(
  container: Record<string, T> | null | undefined,
  image: Record<string, T> | null | undefined,
): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, value] of Object.entries(container ?? {})) {
    if (!image || !(key in image) || !isDeepStrictEqual(image[key], value)) out[key] = value;
  }
  return out;
}

function normaliseWorkingDir(dir: unknown): string {
  return typeof dir === 'string' && dir !== '/' ? dir : '';
}

function normaliseStopSignal(signal: unknown): string {
  if (typeof signal !== 'string' || signal === '' || signal === '15' || signal === 'SIGTERM')
    return 'SIGTERM';
  return signal;
}

/** podman reports ulimits as RLIMIT_NOFILE but accepts only Docker's names (nofile) back. */
function normaliseUlimits(ulimits: unknown[]): unknown[] {
  return ulimits.map((limit) => {
    if (!limit || typeof limit !== 'object') return limit;
    const entry = limit as { Name?: unknown };
    if (typeof entry.Name !== 'string' || !entry.Name.startsWith('RLIMIT_')) return limit;
    return { ...entry, Name: entry.Name.slice('RLIMIT_'.length).toLowerCase() };
  });
}

/** Anonymous volumes get a 64-hex name from the engine. */
function isAnonymousVolume(mount: MountPoint): boolean {
  return mount.Type === 'volume' && typeof mount.Name === 'string' && /^[0-9a-f]{64}$/.test(mount.Name);
}

function bindDestination(bind: string): string | undefined {
  return bind.split(':')[1];
}

function mountDestinations(hostConfig: HostConfig): Set<string> {
  const out = new Set<string>();
  for (const bind of hostConfig.Binds ?? []) {
    const destination = bindDestination(bind);
    if (destination) out.add(destination);
  }
  const mounts = hostConfig['Mounts'];
  if (Array.isArray(mounts)) {
    for (const mount of mounts as { Target?: string }[]) if (mount.Target) out.add(mount.Target);
  }
  const tmpfs = hostConfig['Tmpfs'];
  if (tmpfs && typeof tmpfs === 'object') for (const destination of Object.keys(tmpfs)) out.add(destination);
  return out;
}

export function planRecreate(input: RecreateInput): RecreatePlan {
  const { container } = input;
  const refusals: Refusal[] = [];
  const config = container.Config;
  const hostConfig = container.HostConfig;

  if (!input.image?.Config) {
    refusals.push({
      field: 'Image',
      reason: `the container's image ${container.Image} is gone, so its own settings cannot be told from the image's defaults`,
    });
  }
  const imageConfig: ContainerConfig = input.image?.Config ?? {};

  if (hostConfig.AutoRemove) {
    refusals.push({
      field: 'HostConfig.AutoRemove',
      reason:
        'the engine deletes an auto-removed container when it stops, so the old one could not be kept for rollback',
    });
  }
  const networkMode = hostConfig.NetworkMode ?? '';
  if (networkMode.startsWith('container:') && input.networkPeerExists === false) {
    refusals.push({
      field: 'HostConfig.NetworkMode',
      reason: `the network peer '${networkMode.slice('container:'.length)}' no longer exists, so the network namespace cannot be joined again`,
    });
  }

  const body: ContainerCreateBody = { Image: input.targetImage };
  for (const [key, value] of Object.entries(config)) {
    if (IGNORED_KEYS.has(key)) continue;
    const imageValue = imageConfig[key];
    if (AS_SET_KEYS.has(key)) {
      if (key === 'Hostname' && value === container.Id.slice(0, 12)) continue;
      if (!isEmpty(value)) body[key] = value;
      continue;
    }
    if (!DIFFED_KEYS.has(key)) {
      if (!same(value, imageValue)) {
        refusals.push({
          field: `Config.${key}`,
          reason: 'this setting is not one the recreate knows how to carry',
        });
      }
      continue;
    }
    switch (key) {
      case 'Env': {
        const env = carriedEnv(config, imageConfig);
        if (env.length) body.Env = env;
        break;
      }
      case 'Labels':
      case 'ExposedPorts':
      case 'Volumes': {
        const carried = carriedRecord(
          value as Record<string, unknown> | null,
          imageValue as Record<string, unknown> | null,
        );
        if (Object.keys(carried).length) (body as Record<string, unknown>)[key] = carried;
        break;
      }
      case 'WorkingDir':
        if (normaliseWorkingDir(value) !== normaliseWorkingDir(imageValue)) body.WorkingDir = value as string;
        break;
      case 'StopSignal':
        if (normaliseStopSignal(value) !== normaliseStopSignal(imageValue)) body.StopSignal = value as string;
        break;
      default:
        if (!same(value, imageValue)) body[key] = value;
    }
  }

  // HostConfig: as set, minus what the engine only reports.
  const carriedHost: HostConfig = {};
  for (const [key, value] of Object.entries(hostConfig)) {
    if (!HOST_CONFIG_REPORT_ONLY.has(key)) carriedHost[key] = value;
  }
  if (Array.isArray(hostConfig['Ulimits'])) carriedHost['Ulimits'] = normaliseUlimits(hostConfig['Ulimits']);

  // Every mount must be reproduced: binds/mounts/tmpfs are carried in HostConfig; anonymous volumes are
  // re-attached by name (Watchtower loses their data); anything else is refused.
  const covered = mountDestinations(hostConfig);
  const extraBinds: string[] = [];
  for (const mount of container.Mounts ?? []) {
    if (covered.has(mount.Destination)) continue;
    if (isAnonymousVolume(mount) && mount.Name) {
      if (input.volumes && !input.volumes.has(mount.Name)) {
        refusals.push({
          field: `Mounts[${mount.Destination}]`,
          reason: `anonymous volume ${mount.Name.slice(0, 12)} cannot be found to re-attach`,
        });
        continue;
      }
      extraBinds.push(`${mount.Name}:${mount.Destination}${mount.RW === false ? ':ro' : ''}`);
      continue;
    }
    if (mount.Type === 'volume' && mount.Name) {
      extraBinds.push(`${mount.Name}:${mount.Destination}${mount.RW === false ? ':ro' : ''}`);
      continue;
    }
    refusals.push({
      field: `Mounts[${mount.Destination}]`,
      reason: `a ${mount.Type} mount that is neither in HostConfig.Binds nor HostConfig.Mounts cannot be recreated`,
    });
  }
  if (extraBinds.length) carriedHost.Binds = [...(hostConfig.Binds ?? []), ...extraBinds];
  body.HostConfig = carriedHost;

  // Networks: the first endpoint at create, the others connected afterwards. The container's own short id
  // is an alias the engine adds; the new container gets its own.
  const extraNetworks: RecreateSpec['extraNetworks'] = [];
  const shareNamespace = /^(container|host|none)(:|$)/.test(networkMode);
  if (!shareNamespace) {
    const networks = Object.entries(container.NetworkSettings?.Networks ?? {});
    for (const [index, [network, settings]] of networks.entries()) {
      const endpoint: EndpointSettings = {};
      const aliases = (settings.Aliases ?? []).filter((alias) => alias !== container.Id.slice(0, 12));
      if (aliases.length) endpoint.Aliases = aliases;
      if (settings.Links?.length) endpoint.Links = settings.Links;
      if (settings.IPAMConfig && !isEmpty(settings.IPAMConfig)) endpoint.IPAMConfig = settings.IPAMConfig;
      if (settings.DriverOpts && !isEmpty(settings.DriverOpts)) endpoint.DriverOpts = settings.DriverOpts;
      if (index === 0) body.NetworkingConfig = { EndpointsConfig: { [network]: endpoint } };
      else extraNetworks.push({ network, endpoint });
    }
  }

  if (refusals.length) return { ok: false, refusals };
  return { ok: true, spec: { body, extraNetworks } };
}

export function describeRefusals(containerName: string, refusals: readonly Refusal[]): string {
  const parts = refusals.map((r) => `${r.field}: ${r.reason}`);
  return `container ${containerName} cannot be recreated faithfully — ${parts.join('; ')}`;
}
