/**
 * The parts of the Docker Engine API (v1.41+) that safe-updater reads and writes. Podman's compatible API
 * answers with the same shapes. Fields we only pass through stay `unknown`-typed records.
 */

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Labels: Record<string, string> | null;
  State: string;
  Status?: string;
}

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
  StartInterval?: number;
}

/** `Config` of a container (and of an image). */
export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | string | null;
  Image?: string;
  Labels?: Record<string, string> | null;
  ExposedPorts?: Record<string, unknown> | null;
  Volumes?: Record<string, unknown> | null;
  WorkingDir?: string;
  Healthcheck?: HealthConfig | null;
  StopSignal?: string;
  StopTimeout?: number;
  [key: string]: unknown;
}

export interface MountPoint {
  Type: string;
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode?: string;
  RW?: boolean;
}

export interface EndpointSettings {
  Aliases?: string[] | null;
  Links?: string[] | null;
  IPAMConfig?: Record<string, unknown> | null;
  NetworkID?: string;
  MacAddress?: string;
  DriverOpts?: Record<string, string> | null;
  [key: string]: unknown;
}

export interface ContainerHealth {
  Status: 'none' | 'starting' | 'healthy' | 'unhealthy' | string;
  FailingStreak?: number;
  Log?: { ExitCode: number; Output: string }[] | null;
}

export interface ContainerState {
  Status: string;
  Running: boolean;
  Paused?: boolean;
  Restarting: boolean;
  OOMKilled?: boolean;
  Dead?: boolean;
  ExitCode: number;
  Error?: string;
  StartedAt?: string;
  FinishedAt?: string;
  Health?: ContainerHealth | null;
}

export interface HostConfig {
  AutoRemove?: boolean;
  NetworkMode?: string;
  Binds?: string[] | null;
  RestartPolicy?: { Name?: string; MaximumRetryCount?: number };
  Links?: string[] | null;
  [key: string]: unknown;
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  Created?: string;
  /** Image id (sha256:…). */
  Image: string;
  RestartCount: number;
  State: ContainerState;
  Config: ContainerConfig;
  HostConfig: HostConfig;
  Mounts?: MountPoint[] | null;
  NetworkSettings?: { Networks?: Record<string, EndpointSettings> | null } | null;
}

export interface ImageInspect {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Created?: string;
  Config?: ContainerConfig | null;
}

export interface ExecInspect {
  ID?: string;
  Running: boolean;
  ExitCode: number | null;
}

/** The body of POST /containers/create. */
export interface ContainerCreateBody extends ContainerConfig {
  HostConfig?: HostConfig;
  NetworkingConfig?: { EndpointsConfig: Record<string, EndpointSettings> };
}

export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** An identity token (docker config.json) instead of a password. */
  identitytoken?: string;
  /** A bearer token passed to the registry as is. */
  registrytoken?: string;
}
