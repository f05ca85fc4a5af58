/**
 * The values that flow through the pipeline (../shared/DESIGN.md):
 * sources → Asset[] → datasources → Candidate[] → policy → Decision[] → orchestrator → updater → verifier.
 */

export type AssetKind = 'helm' | 'kubernetes' | 'docker';

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'CronJob';

/** Where newer versions of an asset come from. */
export type VersionSource =
  /** An HTTP chart repository (index.yaml). */
  | { type: 'helm-repo'; repoUrl: string; chart: string }
  /** A chart stored as an OCI artifact: oci://registry/path/chart */
  | { type: 'oci-chart'; ref: string; chart: string }
  /** An image repository in an OCI / Docker v2 registry, e.g. registry:5000/team/app */
  | { type: 'oci-image'; image: string };

export interface CurrentVersion {
  /** Chart version for Helm releases, image tag for images ('latest' when none). */
  version: string;
  /** Image digest (sha256:…) when known. */
  digest?: string;
  /** The app version a chart declares, for display. */
  appVersion?: string;
}

/** A health check attached to an asset by config or annotation. */
export type HealthCheckSpec =
  | {
      name: string;
      type: 'http';
      url: string;
      method?: string;
      expectStatus?: number[];
      expectBody?: string;
      headers?: Record<string, string>;
      timeoutMs?: number;
      retries?: number;
      intervalMs?: number;
      insecureSkipVerify?: boolean;
    }
  | {
      name: string;
      type: 'tcp';
      host: string;
      port: number;
      timeoutMs?: number;
      retries?: number;
      intervalMs?: number;
    }
  | {
      name: string;
      type: 'exec';
      command: string[];
      container?: string;
      timeoutMs?: number;
      retries?: number;
      intervalMs?: number;
    };

export interface Asset {
  /** Stable id, e.g. helm/production/web, k8s/production/deployment/api/container/app, docker/local/nginx. */
  id: string;
  kind: AssetKind;
  name: string;
  /** Kubernetes namespace, or the Docker host's name. */
  namespace: string;
  current: CurrentVersion;
  source?: VersionSource;
  /** Kubernetes workload details (kind 'kubernetes'). */
  workload?: {
    kind: WorkloadKind;
    name: string;
    container: string;
    initContainer?: boolean;
    /** Names of the pod spec's imagePullSecrets (same namespace), for registry credentials. */
    imagePullSecrets?: string[];
  };
  /** Helm release details (kind 'helm'). */
  release?: { name: string; revision: number; status: string; chart: string };
  /** Docker container details (kind 'docker'). */
  container?: { id: string; name: string; dependsOn: string[] };
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Name of the policy that governs this asset (from config, annotation or label). */
  policy: string;
  healthChecks: HealthCheckSpec[];
  /** Monitor only: report newer versions, never change anything. */
  monitorOnly?: boolean;
}

export type UpdateType = 'major' | 'minor' | 'patch' | 'prerelease' | 'digest';

export interface Candidate {
  assetId: string;
  current: CurrentVersion;
  target: { version: string; digest?: string };
  updateType: UpdateType;
  releasedAt?: Date;
  /** Higher runs first: security > bugfix > feature. */
  priority: number;
}

export type Verdict = 'auto' | 'needs-approval' | 'blocked';

export interface Decision {
  candidate: Candidate;
  verdict: Verdict;
  reasons: string[];
}

export type HealthVerdict = 'healthy' | 'degraded' | 'failed';

export interface HealthStatus {
  healthy: boolean;
  verdict: HealthVerdict;
  readyReplicas: number;
  totalReplicas: number;
  /** 0..100 */
  healthPercentage: number;
  checksPassed: string[];
  checksFailed: string[];
  message: string;
  /** The failure that decided it, e.g. "CrashLoopBackOff in pod web-7d9 container app". */
  signal?: string;
}

/** How a version reads in messages and tables: "1.2.0" or "latest@sha256:abcd1234". */
export function describeVersion(version: { version: string; digest?: string }): string {
  if (!version.digest) return version.version;
  const short = version.digest.replace(/^sha256:/, '').slice(0, 12);
  return `${version.version}@sha256:${short}`;
}
