/**
 * CLI wiring: Config → the plain option objects of a scan (sources, datasources, policies, journal).
 * Shared by `scan`, `status`, `plan` and the update workflow. Loaded lazily by the commands, since it pulls
 * in the Kubernetes client, helm and Docker clients.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Asset, AssetKind, HealthCheckSpec } from '../core/model.js';
import { errorMessage } from '../core/errors.js';
import type { Config } from '../config/schema.js';
import { parseDuration } from '../config/duration.js';
import { createDatasources, type DatasourceMap } from '../datasources/index.js';
import {
  CredentialStore,
  type CredentialDeps,
  type DockerConfigJson,
} from '../datasources/oci-registry/credentials.js';
import type { KubeClients } from '../kubernetes/client.js';
import { PolicyBook } from '../policy/policies.js';
import type { DiscoveryProblem } from '../sources/types.js';
import type { Journal } from '../state/types.js';
import type { CliContext } from '../cli/context.js';
import type { EvaluationDeps } from './evaluate.js';
import type { ScanDeps } from './scan.js';

/** Config's named health checks as the specs assets carry (kubernetes rollout checks are built in). */
export function healthCheckSpecs(config: Config): Record<string, HealthCheckSpec> {
  const specs: Record<string, HealthCheckSpec> = {};
  for (const [name, check] of Object.entries(config.healthChecks)) {
    const common = {
      ...(check.timeout ? { timeoutMs: parseDuration(check.timeout) } : {}),
      ...(check.retries === undefined ? {} : { retries: check.retries }),
      ...(check.interval ? { intervalMs: parseDuration(check.interval) } : {}),
    };
    if (check.type === 'http') {
      const { type, url, method, expectStatus, expectBody, headers, insecureSkipVerify } = check;
      specs[name] = {
        name,
        type,
        url,
        method,
        expectStatus,
        expectBody,
        headers,
        insecureSkipVerify,
        ...common,
      };
    } else if (check.type === 'tcp') {
      specs[name] = { name, type: 'tcp', host: check.host, port: check.port, ...common };
    } else if (check.type === 'exec') {
      specs[name] = { name, type: 'exec', command: check.command, container: check.container, ...common };
    }
  }
  return specs;
}

function credentialDeps(config: Config, env: NodeJS.ProcessEnv): CredentialDeps {
  const home = env.HOME ?? '';
  const dockerConfigPaths = config.registriesAuth.dockerConfig
    ? [config.registriesAuth.dockerConfig.replace(/^~(?=\/)/, home)]
    : [join(env.DOCKER_CONFIG ?? join(home, '.docker'), 'config.json')];
  return { registries: config.registries, dockerConfigPaths, env };
}

/** Registry credentials the configuration describes (registries, docker config.json, env, files). */
export function credentialStoreFromConfig(config: Config, env: NodeJS.ProcessEnv): CredentialStore {
  return new CredentialStore(credentialDeps(config, env));
}

/** The datasources the configuration describes. */
export function datasourcesFromConfig(
  config: Config,
  env: NodeJS.ProcessEnv,
  credentials?: CredentialStore,
  onResponse?: (host: string, status: number | 'error') => void,
): DatasourceMap {
  return createDatasources(
    { ...credentialDeps(config, env), ...(onResponse ? { http: { onResponse } } : {}) },
    credentials ?? credentialStoreFromConfig(config, env),
  );
}

/**
 * Reads the imagePullSecrets (kubernetes.io/dockerconfigjson) that discovered workloads name, so lookups
 * use the credentials the cluster itself pulls with. A secret that cannot be read is listed, not fatal.
 */
async function readPullSecrets(
  kubeClients: () => KubeClients,
  assets: Asset[],
  credentials: CredentialStore,
): Promise<DiscoveryProblem[]> {
  const names = new Set(
    assets.flatMap((a) => (a.workload?.imagePullSecrets ?? []).map((name) => `${a.namespace}/${name}`)),
  );
  if (names.size === 0) return [];
  const problems: DiscoveryProblem[] = [];
  const configs: DockerConfigJson[] = [];
  for (const key of names) {
    const [namespace = '', name = ''] = key.split('/');
    try {
      const secret = await kubeClients().core.readNamespacedSecret({ name, namespace });
      const data = secret.data?.['.dockerconfigjson'] ?? secret.data?.['.dockercfg'];
      if (!data) continue;
      const parsed = JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as DockerConfigJson &
        DockerConfigJson['auths'];
      // .dockercfg (the old format) is the `auths` map itself.
      configs.push(parsed.auths ? parsed : { auths: parsed as DockerConfigJson['auths'] });
    } catch (error) {
      problems.push({ subject: `imagePullSecret ${key}`, message: errorMessage(error), unavailable: false });
    }
  }
  credentials.addDockerConfigs(configs);
  return problems;
}

/** Docker hosts are named in asset ids: the machine for a local socket, the host name for tcp://. */
export function dockerHostName(host: string): string {
  if (host.startsWith('unix://')) return 'local';
  try {
    return new URL(host.replace(/^tcp:/, 'http:')).hostname;
  } catch {
    return hostname();
  }
}

export interface ScanSelection {
  kinds?: readonly AssetKind[];
  namespace?: string;
  assetId?: string;
  /** Observer of every registry and chart-repository answer (the daemon's metrics). */
  onRegistryResponse?: (host: string, status: number | 'error') => void;
}

/** What version lookups and decisions need, from the configuration (no discovery). */
export async function evaluationDependencies(
  ctx: CliContext,
  credentials?: CredentialStore,
  onRegistryResponse?: (host: string, status: number | 'error') => void,
): Promise<EvaluationDeps & { journal: Journal }> {
  const { config } = await ctx.config();
  return {
    datasources: datasourcesFromConfig(config, ctx.io.env, credentials, onRegistryResponse),
    policies: new PolicyBook(config.policies, config.defaultPolicy),
    journal: await ctx.journal(),
    clock: ctx.clock,
  };
}

/** Everything a scan needs, from the configuration. */
export async function scanDependencies(ctx: CliContext, selection: ScanSelection = {}): Promise<ScanDeps> {
  const { config } = await ctx.config();
  const healthChecks = healthCheckSpecs(config);
  const namespaces = selection.namespace ? [selection.namespace] : config.kubernetes.namespaces;
  const assets = config.assets.map((entry) => ({ ...entry, healthChecks: entry.healthChecks }));
  const base = { assets, defaultPolicy: config.defaultPolicy, healthChecks, namespaces };
  const kube = { kubeconfig: config.kubernetes.kubeconfig, context: config.kubernetes.context };
  // The clients of the sources load only for a scan (the Kubernetes client alone takes seconds to import).
  const [{ DockerClient }, { HelmClient }, { createKubeClients }, { Workloads }, { createSources }] =
    await Promise.all([
      import('../docker/client.js'),
      import('../helm/helm-client.js'),
      import('../kubernetes/client.js'),
      import('../kubernetes/workloads.js'),
      import('../sources/index.js'),
    ]);
  let clients: KubeClients | undefined;
  const kubeClients = (): KubeClients =>
    (clients ??= createKubeClients({
      ...(kube.kubeconfig ? { kubeconfig: kube.kubeconfig } : {}),
      ...(kube.context ? { context: kube.context } : {}),
    }));
  const wanted = (kind: AssetKind): boolean => !selection.kinds || selection.kinds.includes(kind);
  const sources = createSources({
    ...(config.helm.enabled && wanted('helm')
      ? {
          helm: () => ({
            ...base,
            helm: new HelmClient({
              binary: config.helm.binary,
              driver: config.helm.driver,
              ...(kube.kubeconfig ? { kubeconfig: kube.kubeconfig } : {}),
              ...(kube.context ? { kubeContext: kube.context } : {}),
            }),
          }),
        }
      : {}),
    ...(config.kubernetes.enabled && wanted('kubernetes')
      ? {
          kubernetes: () => ({ ...base, workloads: new Workloads(kubeClients()) }),
        }
      : {}),
    ...(config.docker.enabled && wanted('docker')
      ? {
          docker: () => ({
            client: new DockerClient({ host: config.docker.host }),
            hostName: dockerHostName(config.docker.host),
            all: config.docker.watchAll,
            defaultPolicy: config.defaultPolicy,
            healthChecks,
          }),
        }
      : {}),
  });
  const credentials = credentialStoreFromConfig(config, ctx.io.env);
  return {
    ...(await evaluationDependencies(ctx, credentials, selection.onRegistryResponse)),
    sources,
    prepare: (found) => readPullSecrets(kubeClients, found, credentials),
    concurrency: 16,
    actor: ctx.actor,
    select: (asset: Asset) =>
      (!selection.namespace || asset.kind === 'docker' || asset.namespace === selection.namespace) &&
      (!selection.assetId || asset.id === selection.assetId),
  };
}
