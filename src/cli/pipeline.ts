/**
 * The CLI's wiring: Config → plain option objects for the library (journal, sources, datasources, policies,
 * updaters, verifier, notifier, workflow). Everything is built on first use, so `history` never starts helm
 * and `scan --kind docker` never reads a kubeconfig. The only place where configuration meets code.
 */
import { ExternalHostError, NotFoundError, UsageError } from '../core/errors.js';
import type { Asset, AssetKind } from '../core/model.js';
import { parseDuration } from '../config/duration.js';
import type { Config } from '../config/schema.js';
import { DockerClient } from '../docker/client.js';
import { HelmClient, type ChartAccess, type ChartLocation } from '../helm/helm-client.js';
import { createKubeClients, type KubeClients } from '../kubernetes/client.js';
import { Workloads } from '../kubernetes/workloads.js';
import { createHealthChecker, type HealthChecker, type HealthCheckerOptions } from '../health/checker.js';
import type { CommandExecutor } from '../health/checks/exec.js';
import { createKubernetesExecutor } from '../health/checks/kubernetes-executor.js';
import { createVerifier } from '../health/verifier.js';
import { createOutboxNotifier } from '../notify/notifier.js';
import { processHolder } from '../orchestrator/asset-lease.js';
import type { WorkflowDeps } from '../orchestrator/run-update.js';
import type { EvaluationDeps } from '../scan/evaluate.js';
import { discoverAssets, type ScanDeps } from '../scan/scan.js';
import { evaluationDependencies, scanDependencies, type ScanSelection } from './commands/scan.js';
import type { Journal } from '../state/types.js';
import { credentialStoreFromConfig, dockerHostName } from '../scan/from-config.js';
import {
  createDockerCommandExecutor,
  createDockerUpdater,
  dockerCredentialsFrom,
} from '../updaters/docker/index.js';
import { HelmUpdater } from '../updaters/helm/index.js';
import { createUpdaters, type Updaters } from '../updaters/index.js';
import { WorkloadUpdater } from '../updaters/kubernetes/index.js';
import type { CliContext } from './context.js';

/** Credentials and plain HTTP for a chart location, from the registry entry of its host. */
export function chartAccessFor(config: Config, chart: ChartLocation): ChartAccess | undefined {
  const url = chart.type === 'helm-repo' ? chart.repoUrl : chart.ref.replace(/^oci:/, 'http:');
  let host: string;
  try {
    host = new URL(url).host;
  } catch {
    return undefined;
  }
  const registry = config.registries.find((r) => r.host === host);
  if (!registry) return undefined;
  // The configuration loader has already resolved passwordEnv / passwordFile into password.
  const password = registry.password;
  return {
    ...(registry.username !== undefined ? { username: registry.username } : {}),
    ...(password !== undefined ? { password } : {}),
    plainHttp: registry.insecure,
  };
}

export interface Pipeline {
  readonly config: Config;
  readonly journal: Journal;
  /** Discovery and lookups, wired by the scan command (src/cli/commands/scan.ts). */
  scan(selection?: ScanSelection): Promise<ScanDeps>;
  evaluation(): Promise<EvaluationDeps>;
  updaters(): Updaters;
  /** The Helm client of this run (one per process). */
  helm(): HelmClient;
  checker(): HealthChecker;
  workflow(): WorkflowDeps;
}

/** Observers the daemon hangs its metrics on. */
export interface PipelineObservers {
  healthCheck?: HealthCheckerOptions['onChecked'];
}

export async function openPipeline(ctx: CliContext, observers: PipelineObservers = {}): Promise<Pipeline> {
  const { config } = await ctx.config();
  const journal = await ctx.journal();
  const clock = ctx.clock;
  let kube: KubeClients | undefined;
  let workloads: Workloads | undefined;
  let helm: HelmClient | undefined;
  let docker: DockerClient | undefined;
  let updaters: Updaters | undefined;
  let checker: HealthChecker | undefined;
  let workflow: WorkflowDeps | undefined;

  const kubeWorkloads = (): Workloads => {
    kube ??= createKubeClients({
      kubeconfig: config.kubernetes.kubeconfig,
      context: config.kubernetes.context,
    });
    workloads ??= new Workloads(kube);
    return workloads;
  };
  const helmClient = (): HelmClient => {
    helm ??= new HelmClient({
      binary: config.helm.binary,
      kubeconfig: config.kubernetes.kubeconfig,
      kubeContext: config.kubernetes.context,
      driver: config.helm.driver,
    });
    return helm;
  };
  const dockerClient = (): DockerClient => {
    docker ??= new DockerClient({ host: config.docker.host });
    return docker;
  };
  const executor: CommandExecutor = {
    exec: (request) =>
      request.asset.kind === 'docker'
        ? createDockerCommandExecutor(dockerClient()).exec(request)
        : createKubernetesExecutor(kubeWorkloads()).exec(request),
  };

  const pipeline: Pipeline = {
    config,
    journal,
    scan: (selection) => scanDependencies(ctx, selection),
    evaluation: () => evaluationDependencies(ctx),
    helm: helmClient,
    updaters() {
      updaters ??= createUpdaters({
        ...(config.helm.enabled
          ? {
              helm: () =>
                new HelmUpdater({
                  helm: helmClient(),
                  workloads: kubeWorkloads(),
                  atomic: config.helm.atomic,
                  helmTimeoutMs: parseDuration(config.helm.timeout),
                  historyMax: config.helm.historyMax,
                  chartAccess: (chart) => chartAccessFor(config, chart),
                  restartThreshold: config.rollback.failureThreshold,
                  clock,
                }),
            }
          : {}),
        ...(config.kubernetes.enabled
          ? {
              kubernetes: () =>
                new WorkloadUpdater({
                  workloads: kubeWorkloads(),
                  restartThreshold: config.rollback.failureThreshold,
                  clock,
                  actor: ctx.actor,
                }),
            }
          : {}),
        ...(config.docker.enabled
          ? {
              docker: () =>
                createDockerUpdater({
                  client: dockerClient(),
                  hostName: dockerHostName(config.docker.host),
                  defaultPolicy: config.defaultPolicy,
                  removeOldImage: config.docker.cleanup,
                  // Pulls from registries that need credentials: the same store the lookups use.
                  credentials: dockerCredentialsFrom(credentialStoreFromConfig(config, ctx.io.env)),
                  clock,
                }),
            }
          : {}),
      });
      return updaters;
    },
    checker() {
      checker ??= createHealthChecker({
        clock,
        executor,
        ...(observers.healthCheck ? { onChecked: observers.healthCheck } : {}),
      });
      return checker;
    },
    workflow() {
      workflow ??= {
        journal,
        updaters: pipeline.updaters(),
        verifier: createVerifier({
          clock,
          checker: pipeline.checker(),
          monitorMs: parseDuration(config.rollback.monitor),
        }),
        clock,
        notifier: createOutboxNotifier({ journal, clock, channels: config.notifications }),
        holder: processHolder(),
        limits: {
          maxRollbacks: config.rollback.maxRollbacks,
          windowMs: parseDuration(config.rollback.window),
        },
        autoRollback: config.rollback.enabled,
        logger: ctx.logger,
      };
      return workflow;
    },
  };
  return pipeline;
}

const KIND_OF_PREFIX: Record<string, AssetKind> = { helm: 'helm', k8s: 'kubernetes', docker: 'docker' };

/**
 * The live asset named on the command line: an asset id (helm/NS/RELEASE, k8s/…, docker/…) or a bare
 * release / workload / container name in `namespace`. NotFoundError when nothing that runs matches.
 */
export async function findLiveAsset(pipeline: Pipeline, argument: string, namespace: string): Promise<Asset> {
  const prefixKind = argument.includes('/') ? KIND_OF_PREFIX[argument.split('/')[0] ?? ''] : undefined;
  if (argument.includes('/') && !prefixKind) {
    throw new UsageError(`${argument} is not an asset id`, {
      hint: 'expected helm/NS/RELEASE, k8s/NS/KIND/NAME/container/C or docker/HOST/NAME',
    });
  }
  const deps = await pipeline.scan(prefixKind ? { kinds: [prefixKind] } : { namespace });
  const { assets, problems } = await discoverAssets(deps.sources);
  const found = prefixKind
    ? assets.find((asset) => asset.id === argument)
    : (assets.find(
        (asset) => asset.kind === 'helm' && asset.name === argument && asset.namespace === namespace,
      ) ?? assets.find((asset) => asset.name === argument && asset.namespace === namespace));
  if (found) return found;
  const unavailable = problems.find((problem) => problem.unavailable);
  if (unavailable) {
    throw new ExternalHostError(unavailable.subject, `cannot look for ${argument}: ${unavailable.message}`);
  }
  throw new NotFoundError(
    `no asset ${argument}${prefixKind ? '' : ` in namespace ${namespace}`} is running`,
    {
      hint: '`safe-updater scan` lists what runs',
    },
  );
}
