/**
 * Kubernetes API access through @kubernetes/client-node 1.4.0 (pinned: 2.x crashes on import under Node 20).
 *
 * Public API:
 *   createKubeClients({ kubeconfig?, context?, inCluster? }) → KubeClients { config, apps, core, batch, server }
 *   callKube(clients, what, fn)   runs one API call and turns its failure into our typed errors:
 *                                 404 → NotFoundError, 409/422 → ConflictError, network / 429 / 5xx →
 *                                 ExternalHostError (the cluster is unreachable or failing).
 *   kubeErrorStatus(error)        { code, message } of an ApiException (its body is a raw JSON string in 1.4.0).
 */
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, type Cluster } from '@kubernetes/client-node';
import {
  ConfigError,
  ConflictError,
  ExternalHostError,
  NotFoundError,
  errorMessage,
} from '../core/errors.js';

export interface KubernetesOptions {
  /** Path of a kubeconfig file; the default loading rules ($KUBECONFIG, ~/.kube/config, in-cluster) otherwise. */
  kubeconfig?: string;
  /** Context to use instead of the file's current-context. */
  context?: string;
  /** Use the service account of the pod we run in. */
  inCluster?: boolean;
}

export interface KubeClients {
  config: KubeConfig;
  apps: AppsV1Api;
  core: CoreV1Api;
  batch: BatchV1Api;
  /** The API server's URL, for messages and ExternalHostError.host. */
  server: string;
}

export function createKubeClients(options: KubernetesOptions = {}): KubeClients {
  const config = new KubeConfig();
  try {
    if (options.inCluster) config.loadFromCluster();
    else if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
    else config.loadFromDefault();
    if (options.context) config.setCurrentContext(options.context);
  } catch (error) {
    throw new ConfigError(`cannot load the Kubernetes configuration: ${errorMessage(error)}`, {
      hint: 'set kubernetes.kubeconfig / kubernetes.context in safe-updater.yaml or $KUBECONFIG',
      cause: error,
    });
  }
  const cluster = config.getCurrentCluster();
  if (!cluster) {
    throw new ConfigError(
      `the Kubernetes configuration has no cluster for context "${config.getCurrentContext()}"`,
    );
  }
  allowPlainHttp(config, cluster);
  return {
    config,
    apps: config.makeApiClient(AppsV1Api),
    core: config.makeApiClient(CoreV1Api),
    batch: config.makeApiClient(BatchV1Api),
    server: cluster.server,
  };
}

/**
 * client-node 1.4.0 builds an https agent for every server and refuses http:// URLs unless the cluster
 * says skipTLSVerify; a plain-http API server (a local test control plane) needs that flag set.
 */
function allowPlainHttp(config: KubeConfig, cluster: Cluster): void {
  if (!cluster.server.startsWith('http://') || cluster.skipTLSVerify) return;
  const clusters = config.clusters.map((c) => (c.name === cluster.name ? { ...c, skipTLSVerify: true } : c));
  config.loadFromOptions({
    clusters,
    users: config.users,
    contexts: config.contexts,
    currentContext: config.getCurrentContext(),
  });
}

export interface KubeErrorStatus {
  code: number | undefined;
  message: string;
  reason?: string;
}

/** Reads the HTTP code and Status.message of an error thrown by client-node (body is a raw string in 1.4.0). */
export function kubeErrorStatus(error: unknown): KubeErrorStatus {
  if (typeof error !== 'object' || error === null) return { code: undefined, message: String(error) };
  const candidate = error as { code?: unknown; body?: unknown; message?: unknown };
  const code = typeof candidate.code === 'number' ? candidate.code : undefined;
  let body: unknown = candidate.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      // not JSON: keep the text itself
    }
  }
  if (body && typeof body === 'object') {
    const status = body as { message?: unknown; reason?: unknown };
    if (typeof status.message === 'string') {
      return {
        code,
        message: status.message,
        reason: typeof status.reason === 'string' ? status.reason : undefined,
      };
    }
  }
  if (typeof body === 'string' && body.trim() !== '') return { code, message: body.trim() };
  return { code, message: errorMessage(error) };
}

/** Runs one API call; failures become NotFoundError / ConflictError / ExternalHostError with `what` in words. */
export async function callKube<T>(
  clients: Pick<KubeClients, 'server'>,
  what: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw translateKubeError(clients.server, what, error);
  }
}

export function translateKubeError(server: string, what: string, error: unknown): Error {
  const status = kubeErrorStatus(error);
  const message = `${what}: ${status.message}`;
  if (status.code === 404) return new NotFoundError(message, { cause: error });
  if (status.code === 409 || status.code === 422) return new ConflictError(message, { cause: error });
  if (status.code === 401 || status.code === 403) {
    return new ExternalHostError(server, message, {
      transient: false,
      hint: 'check the credentials and RBAC of the kubeconfig user',
      cause: error,
    });
  }
  if (status.code !== undefined && status.code < 500 && status.code !== 429) {
    return new ExternalHostError(server, message, { transient: false, cause: error });
  }
  return new ExternalHostError(server, `${message} (Kubernetes API ${server} unreachable or failing)`, {
    cause: error,
  });
}
