/**
 * The Docker updater: what Watchtower does, made safe.
 *
 *   validate  inspect the container and its image; refuse (naming the field) what the recreate cannot carry;
 *             pull the target image (with registry credentials) — nothing of the service is touched yet
 *   prepare   the undo plan (facts): old id, parked name, the old container's own create spec
 *   apply     pre-update hook (a failure aborts) → stop old → rename it to <name>-safe-updater-old-<id>
 *             → create the new one under the name (carrying exactly what the old one set) → start it
 *   verify    running, no restarts, HEALTHCHECK healthy when the image or container has one
 *   rollback  from any intermediate state: drop the new container, rename the old one back, start it
 *   cleanup   remove the parked old container (and optionally its image)
 *
 * Every step of apply and rollback is idempotent against the facts, so that after a SIGKILL the reconciler
 * can call locate() and rollback() and always get the service back under its name.
 */
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import {
  ConflictError,
  errorMessage,
  NotFoundError,
  PolicyError,
  RollbackFailedError,
  SafeUpdaterError,
  TimeoutError,
} from '../../core/errors.js';
import type { Asset, HealthStatus } from '../../core/model.js';
import type { DockerClient } from '../../docker/client.js';
import { digestFor, formatImageRef, repositoryName } from '../../docker/image-ref.js';
import { lifecycleHook } from '../../docker/labels.js';
import type { ContainerInspect, RegistryCredentials } from '../../docker/types.js';
import type { CredentialStore } from '../../datasources/oci-registry/credentials.js';
import {
  DOCKER_HUB,
  normaliseRegistryHost,
  parseImageReference,
} from '../../datasources/oci-registry/image-ref.js';
import type { ExecRequest, ExecResult, CommandExecutor } from '../../health/checks/exec.js';
import { assetFromContainer, BACKUP_MARKER, containerName, networkPeerName } from '../../sources/docker.js';
import type { DryRunResult, UpdateContext, UpdateTarget, Updater } from '../types.js';
import { assessContainer } from './container-health.js';
import { backupName, readFacts, toFacts, type DockerUpdateFacts } from './facts.js';
import { describeRefusals, planRecreate, type RecreateSpec } from './recreate-spec.js';

export interface DockerUpdaterOptions {
  client: DockerClient;
  /** Host name used in asset ids (docker/<hostName>/<container>). */
  hostName: string;
  defaultPolicy?: string;
  /** Credentials for a registry host (as written in the image reference), for pulls. */
  credentials?: (
    registry: string,
  ) => RegistryCredentials | undefined | Promise<RegistryCredentials | undefined>;
  clock?: Clock;
  /** How long the new container must run without a restart before it counts as up. Default 5 s. */
  stableMs?: number;
  /** How long a running container may stay 'unhealthy' before that fails the update. Default 15 s. */
  unhealthyGraceMs?: number;
  /** Pause between two inspections while verifying. Default 500 ms. */
  pollIntervalMs?: number;
  /** Stop timeout when the container sets none. Default 10 s (Docker's). */
  stopTimeoutSeconds?: number;
  /** Remove the old image after a successful update when nothing else uses it. */
  removeOldImage?: boolean;
}

/** Engine states that end by themselves; acting on a container in one of them fails. */
const TRANSITIONAL = new Set(['stopping', 'removing']);

/** The recreate cannot carry this container's configuration faithfully; nothing was changed. */
export class UnreproducibleContainerError extends SafeUpdaterError {}

function healthStatus(healthy: boolean, message: string, signal?: string): HealthStatus {
  return {
    healthy,
    verdict: healthy ? 'healthy' : 'failed',
    readyReplicas: healthy ? 1 : 0,
    totalReplicas: 1,
    healthPercentage: healthy ? 100 : 0,
    checksPassed: healthy ? ['container'] : [],
    checksFailed: healthy ? [] : ['container'],
    message,
    ...(signal ? { signal } : {}),
  };
}

/**
 * Registry credentials for pulls from the credential store the datasources use (config `registries`,
 * docker config.json, credential helpers), in the engine's X-Registry-Auth shape.
 */
export function dockerCredentialsFrom(
  store: Pick<CredentialStore, 'forRegistry'>,
): NonNullable<DockerUpdaterOptions['credentials']> {
  return async (registry) => {
    const found = await store.forRegistry(normaliseRegistryHost(registry));
    if (!found) return undefined;
    return {
      ...(found.username !== undefined ? { username: found.username } : {}),
      ...(found.password !== undefined ? { password: found.password } : {}),
      ...(found.identityToken !== undefined ? { identitytoken: found.identityToken } : {}),
      ...(found.registryToken !== undefined ? { registrytoken: found.registryToken } : {}),
    };
  };
}

/** Docker exec for the health checker's exec checks: runs in the asset's own container. */
export function createDockerCommandExecutor(client: DockerClient): CommandExecutor {
  return {
    async exec(request: ExecRequest): Promise<ExecResult> {
      const container = request.asset.container?.name ?? request.asset.name;
      return client.exec(container, request.command, {
        timeoutMs: request.timeoutMs,
        signal: request.signal,
      });
    },
  };
}

export class DockerUpdater implements Updater {
  readonly kind = 'docker' as const;
  private readonly client: DockerClient;
  private readonly clock: Clock;

  constructor(private readonly options: DockerUpdaterOptions) {
    this.client = options.client;
    this.clock = options.clock ?? systemClock;
  }

  private nameOf(asset: Asset): string {
    return asset.container?.name ?? asset.name;
  }

  async refresh(asset: Asset): Promise<Asset> {
    const name = this.nameOf(asset);
    const container = await this.client.findContainer(name);
    if (!container) {
      // Killed between parking the old container and creating the new one: the name is free but the
      // asset is not gone — reconciliation must still reach rollback() to put it back.
      const parked = await this.client.listContainers({ all: true });
      const prefix = `/${name}${BACKUP_MARKER}`;
      if (parked.some((summary) => summary.Names.some((n) => `/${n.replace(/^\//, '')}`.startsWith(prefix))))
        return asset;
      throw new NotFoundError(`container ${name} not found on Docker host ${this.options.hostName}`);
    }
    const image = await this.client.findImage(container.Image);
    const networkPeer = await networkPeerName(this.client, container);
    const { asset: fresh } = assetFromContainer(container, image, {
      hostName: this.options.hostName,
      defaultPolicy: this.options.defaultPolicy ?? asset.policy,
      networkPeer,
    });
    // Configured checks and policy come from the config, not the container: keep the caller's.
    return {
      ...fresh,
      policy: asset.policy,
      healthChecks: asset.healthChecks,
      monitorOnly: asset.monitorOnly || fresh.monitorOnly,
    };
  }

  /** The reference the new container runs: the asset's repository at the target tag. */
  private targetReference(asset: Asset, container: ContainerInspect, target: UpdateTarget): string {
    const repository =
      asset.source?.type === 'oci-image' ? asset.source.image : (container.Config.Image ?? '');
    const ref = parseImageReference(repository);
    return formatImageRef({ registry: ref.registry, repository: ref.repository, tag: target.version });
  }

  /** Inspects and plans the recreate; throws UnreproducibleContainerError naming the fields. */
  private async plan(
    asset: Asset,
    targetImage: string,
    signal?: AbortSignal,
  ): Promise<{ container: ContainerInspect; spec: RecreateSpec; restore: RecreateSpec }> {
    const container = await this.client.inspectContainer(this.nameOf(asset), signal);
    const image = await this.client.findImage(container.Image, signal);
    const mode = container.HostConfig.NetworkMode ?? '';
    const networkPeerExists = mode.startsWith('container:')
      ? (await this.client.findContainer(mode.slice('container:'.length), signal)) !== undefined
      : undefined;
    const input = { container, image, networkPeerExists };
    const plan = planRecreate({ ...input, targetImage });
    if (!plan.ok) {
      throw new UnreproducibleContainerError(describeRefusals(containerName(container), plan.refusals), {
        hint: 'nothing was changed; recreate the container with settings safe-updater can carry, or update it by hand',
      });
    }
    // Restoring from the old image id keeps the exact bits even when its tag has moved on.
    const restorePlan = planRecreate({ ...input, targetImage: container.Image });
    if (!restorePlan.ok)
      throw new UnreproducibleContainerError(
        describeRefusals(containerName(container), restorePlan.refusals),
      );
    return { container, spec: plan.spec, restore: restorePlan.spec };
  }

  private async pull(reference: string, target: UpdateTarget, signal?: AbortSignal): Promise<string> {
    const ref = parseImageReference(reference);
    const credentials = await this.options.credentials?.(ref.registry);
    await this.client.pullImage(
      { image: repositoryName(ref), tag: ref.tag ?? 'latest' },
      // Docker Hub's auth entries are keyed by its v1 index URL (docker CLI convention).
      credentials
        ? {
            serverAddress: ref.registry === DOCKER_HUB ? 'https://index.docker.io/v1/' : ref.registry,
            credentials,
          }
        : undefined,
      signal,
    );
    const pulled = await this.client.inspectImage(reference, signal);
    if (target.digest) {
      const digest = digestFor(pulled.RepoDigests, reference);
      if (digest && digest !== target.digest) {
        throw new ConflictError(`${reference} now points at ${digest}, not the planned ${target.digest}`, {
          hint: 'the tag moved again since planning; plan anew',
        });
      }
    }
    return pulled.Id;
  }

  async validate(asset: Asset, target: UpdateTarget, ctx: UpdateContext): Promise<void> {
    if (asset.monitorOnly)
      throw new PolicyError(`${asset.id} is monitor-only: updates are reported, never applied`);
    const container = await this.client.inspectContainer(this.nameOf(asset), ctx.signal);
    const targetImage = this.targetReference(asset, container, target);
    await this.plan(asset, targetImage, ctx.signal);
    ctx.progress?.(`pulling ${targetImage}`);
    await this.pull(targetImage, target, ctx.signal);
  }

  async prepare(asset: Asset, target: UpdateTarget, ctx: UpdateContext): Promise<Record<string, unknown>> {
    const current = await this.client.inspectContainer(this.nameOf(asset), ctx.signal);
    const targetImage = this.targetReference(asset, current, target);
    const { container, spec, restore } = await this.plan(asset, targetImage, ctx.signal);
    const existing = await this.client.findImage(targetImage, ctx.signal);
    const targetImageId =
      existing && !target.digest ? existing.Id : await this.pull(targetImage, target, ctx.signal);
    const name = containerName(container);
    await this.removeLeftovers(name, container.Id, ctx);
    const stopTimeout = container.Config.StopTimeout;
    const facts: DockerUpdateFacts = {
      containerName: name,
      oldId: container.Id,
      oldImage: container.Config.Image ?? container.Image,
      oldImageId: container.Image,
      backupName: backupName(name, container.Id),
      wasRunning: container.State.Running,
      oldHealth: container.State.Health?.Status ?? 'none',
      stopTimeoutSeconds:
        typeof stopTimeout === 'number' && stopTimeout > 0
          ? stopTimeout
          : (this.options.stopTimeoutSeconds ?? 10),
      targetImage,
      targetImageId,
      create: spec,
      restore,
    };
    return toFacts(facts);
  }

  /**
   * Parked containers of earlier updates of this name that are not running: a process killed after the
   * journal said `succeeded` but before cleanup leaves one behind. The workflow prepares only when no record
   * of the asset is open (it reconciles first, under the asset lease), so they undo nothing any more.
   */
  private async removeLeftovers(name: string, holderId: string, ctx: UpdateContext): Promise<void> {
    const prefix = `${name}${BACKUP_MARKER}`;
    const all = await this.client.listContainers({ all: true }, ctx.signal);
    for (const summary of all) {
      const parked = summary.Names.some((n) => n.replace(/^\//, '').startsWith(prefix));
      if (!parked || summary.Id === holderId || summary.State === 'running') continue;
      ctx.progress?.(`removing ${summary.Names[0] ?? summary.Id} left over from an earlier update`);
      await this.client.removeContainer(summary.Id, { force: true }, ctx.signal).catch((error: unknown) => {
        if (!(error instanceof NotFoundError)) throw error;
      });
    }
  }

  async dryRun(asset: Asset, target: UpdateTarget, ctx: UpdateContext): Promise<DryRunResult> {
    const container = await this.client.inspectContainer(this.nameOf(asset), ctx.signal);
    const targetImage = this.targetReference(asset, container, target);
    const { spec } = await this.plan(asset, targetImage, ctx.signal);
    const carried = Object.keys(spec.body).filter((key) => key !== 'Image');
    const summary =
      `recreate container ${containerName(container)}: ${container.Config.Image ?? container.Image} → ${targetImage}` +
      ` (carrying ${carried.join(', ')}); the old container is kept stopped as ` +
      `${backupName(containerName(container), container.Id)} until the new one is verified`;
    return { summary, diff: JSON.stringify(spec.body, null, 2) };
  }

  async apply(
    asset: Asset,
    target: UpdateTarget,
    rawFacts: Record<string, unknown>,
    ctx: UpdateContext,
  ): Promise<void> {
    const facts = readFacts(rawFacts);
    const holder = await this.client.findContainer(facts.containerName, ctx.signal);
    if (!holder || holder.Id !== facts.oldId) {
      throw new ConflictError(`container ${facts.containerName} changed since the update was prepared`, {
        hint: 'plan the update again',
      });
    }
    await this.runHook(holder, 'pre-update', ctx);
    try {
      ctx.progress?.(`stopping ${facts.containerName}`);
      await this.client.stopContainer(facts.oldId, facts.stopTimeoutSeconds, ctx.signal);
      await this.client.renameContainer(facts.oldId, facts.backupName, ctx.signal);
      ctx.progress?.(`creating ${facts.containerName} on ${facts.targetImage}`);
      const id = await this.create(facts.containerName, facts.create, ctx.signal);
      await this.client.startContainer(id, ctx.signal);
    } catch (error) {
      // Never leave the service without its container: put the old one back before reporting.
      ctx.progress?.(`recreate failed (${errorMessage(error)}); restoring the old container`);
      await this.restore(facts, ctx).catch(() => undefined);
      throw error;
    }
  }

  private async create(name: string, spec: RecreateSpec, signal?: AbortSignal): Promise<string> {
    const id = await this.client.createContainer(name, spec.body, signal);
    for (const { network, endpoint } of spec.extraNetworks) {
      await this.client.connectNetwork(network, id, endpoint, signal);
    }
    return id;
  }

  private async runHook(
    container: ContainerInspect,
    phase: 'pre-update' | 'post-update',
    ctx: UpdateContext,
  ): Promise<void> {
    const hook = lifecycleHook(container.Config.Labels ?? {}, phase);
    if (!hook || !container.State.Running) return;
    const name = containerName(container);
    ctx.progress?.(`${phase} hook in ${name}: ${hook.command.join(' ')}`);
    let result;
    try {
      result = await this.client.exec(container.Id, hook.command, {
        timeoutMs: hook.timeoutMs,
        signal: ctx.signal,
      });
    } catch (error) {
      if (ctx.signal?.aborted) throw error;
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      const message = timedOut
        ? `${phase} hook (${hook.label}) in ${name} ran past ${hook.timeoutMs / 1000} s`
        : `${phase} hook (${hook.label}) in ${name} could not run: ${errorMessage(error)}`;
      throw timedOut ? new TimeoutError(message) : new SafeUpdaterError(message, { cause: error });
    }
    if (result.exitCode !== 0) {
      const output = (result.stderr || result.stdout).trim().slice(0, 200);
      throw new SafeUpdaterError(
        `${phase} hook (${hook.label}) in ${name} exited ${result.exitCode}${output ? `: ${output}` : ''}`,
        {
          hint:
            phase === 'pre-update' ? 'the update was aborted before the container was touched' : undefined,
        },
      );
    }
  }

  async verify(
    asset: Asset,
    _target: UpdateTarget,
    rawFacts: Record<string, unknown>,
    ctx: UpdateContext,
  ): Promise<HealthStatus> {
    const facts = readFacts(rawFacts);
    const deadline = this.clock.now().getTime() + ctx.timeoutMs;
    const stableMs = Math.min(this.options.stableMs ?? 5_000, ctx.timeoutMs);
    let hookDone = false;
    let unhealthySince: number | undefined;
    let last = 'not inspected yet';
    for (;;) {
      const container = await this.client.findContainer(facts.containerName, ctx.signal);
      if (!container)
        return healthStatus(
          false,
          `container ${facts.containerName} is missing`,
          `container ${facts.containerName} is missing`,
        );
      if (container.Id === facts.oldId) {
        return healthStatus(
          false,
          `container ${facts.containerName} is still the old one`,
          `container ${facts.containerName} was not recreated`,
        );
      }
      if (container.Image !== facts.targetImageId) {
        return healthStatus(
          false,
          `container ${facts.containerName} runs ${container.Image}, not ${facts.targetImageId}`,
          'unexpected image',
        );
      }
      const assessment = assessContainer(container, { now: this.clock.now(), stableMs });
      // An exit or a restart is definite. 'unhealthy' must persist: on an overloaded host a HEALTHCHECK
      // can time out a few times and then pass.
      const unhealthyOnly =
        assessment.phase === 'failed' &&
        container.State.Running &&
        container.State.Health?.Status === 'unhealthy';
      if (unhealthyOnly) unhealthySince ??= this.clock.now().getTime();
      else unhealthySince = undefined;
      const persisted =
        unhealthySince !== undefined &&
        this.clock.now().getTime() - unhealthySince >= (this.options.unhealthyGraceMs ?? 15_000);
      if (assessment.phase === 'failed' && (!unhealthyOnly || persisted)) {
        return healthStatus(false, assessment.message, assessment.signal);
      }
      if (assessment.phase === 'healthy') {
        if (!hookDone) {
          try {
            await this.runHook(container, 'post-update', ctx);
          } catch (error) {
            return healthStatus(false, errorMessage(error), errorMessage(error));
          }
          hookDone = true;
        }
        return healthStatus(true, assessment.message);
      }
      last = assessment.message;
      const remaining = deadline - this.clock.now().getTime();
      if (remaining <= 0) {
        return healthStatus(
          false,
          `not healthy within ${Math.round(ctx.timeoutMs / 1000)} s: ${last}`,
          `timed out: ${last}`,
        );
      }
      await this.clock.sleep(Math.min(this.options.pollIntervalMs ?? 500, remaining), ctx.signal);
    }
  }

  /**
   * Puts the old container back under its name, from whatever point an update reached: removes a new
   * container holding the name, renames the parked one back (or creates it again from its own spec and
   * image should it be gone) and starts it. Safe to repeat.
   */
  private async restore(facts: DockerUpdateFacts, ctx: UpdateContext): Promise<ContainerInspect> {
    const holder = await this.client.findContainer(facts.containerName, ctx.signal);
    if (holder && holder.Id !== facts.oldId) {
      ctx.progress?.(`removing the new container ${holder.Id.slice(0, 12)}`);
      await this.client.removeContainer(holder.Id, { force: true }, ctx.signal).catch((error: unknown) => {
        if (!(error instanceof NotFoundError)) throw error;
      });
    }
    let old = await this.settled(facts.oldId, ctx);
    if (!old) {
      ctx.progress?.(
        `old container ${facts.oldId.slice(0, 12)} is gone; creating it again from its journaled configuration`,
      );
      const id = await this.create(facts.containerName, facts.restore, ctx.signal);
      old = await this.client.inspectContainer(id, ctx.signal);
    } else if (containerName(old) !== facts.containerName) {
      await this.client.renameContainer(old.Id, facts.containerName, ctx.signal);
    }
    if (facts.wasRunning && !old.State.Running) await this.client.startContainer(old.Id, ctx.signal);
    return old;
  }

  /**
   * The container once it is out of a transition: a process killed mid-stop leaves the engine finishing
   * that stop (podman refuses start and rename meanwhile), for up to the stop timeout.
   */
  private async settled(id: string, ctx: UpdateContext): Promise<ContainerInspect | undefined> {
    const deadline = this.clock.now().getTime() + Math.max(ctx.timeoutMs, 1_000);
    for (;;) {
      const container = await this.client.findContainer(id, ctx.signal);
      if (!container || !TRANSITIONAL.has(container.State.Status) || this.clock.now().getTime() > deadline)
        return container;
      await this.clock.sleep(this.options.pollIntervalMs ?? 500, ctx.signal);
    }
  }

  async rollback(_asset: Asset, rawFacts: Record<string, unknown>, ctx: UpdateContext): Promise<void> {
    const facts = readFacts(rawFacts);
    ctx.progress?.(`restoring ${facts.containerName} on ${facts.oldImage}`);
    let restored: ContainerInspect;
    try {
      restored = await this.restore(facts, ctx);
    } catch (error) {
      throw new RollbackFailedError(
        `could not restore container ${facts.containerName}: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    if (!facts.wasRunning) return;
    // The old container must be up again, and healthy when it was healthy before. It proved its stability
    // before the update, so no stability window; and podman keeps the last HEALTHCHECK status across a
    // restart, so a stale 'unhealthy' is waited out rather than taken as the answer.
    const deadline = this.clock.now().getTime() + ctx.timeoutMs;
    const restartBaseline = (await this.client.inspectContainer(restored.Id, ctx.signal)).RestartCount ?? 0;
    const wantHealthy = facts.oldHealth === 'healthy';
    for (;;) {
      const container = await this.client.findContainer(restored.Id, ctx.signal);
      if (!container) throw new RollbackFailedError(`restored container ${facts.containerName} vanished`);
      const assessment = assessContainer(container, { now: this.clock.now(), stableMs: 0, restartBaseline });
      const unhealthyOnly =
        assessment.phase === 'failed' &&
        container.State.Running &&
        container.State.Health?.Status === 'unhealthy';
      if (assessment.phase === 'healthy' || (unhealthyOnly && !wantHealthy)) return;
      if (assessment.phase === 'failed' && !unhealthyOnly) {
        throw new RollbackFailedError(
          `restored container ${facts.containerName} is not healthy: ${assessment.signal}`,
        );
      }
      const remaining = deadline - this.clock.now().getTime();
      if (remaining <= 0) {
        throw new RollbackFailedError(
          `restored container ${facts.containerName} not healthy in time: ${assessment.message}`,
        );
      }
      await this.clock.sleep(Math.min(this.options.pollIntervalMs ?? 500, remaining), ctx.signal);
    }
  }

  async cleanup(_asset: Asset, rawFacts: Record<string, unknown>, ctx: UpdateContext): Promise<void> {
    const facts = readFacts(rawFacts);
    const holder = await this.client.findContainer(facts.containerName, ctx.signal);
    if (!holder || holder.Id === facts.oldId) {
      throw new ConflictError(
        `container ${facts.containerName} is not the updated one; keeping the old container`,
      );
    }
    try {
      await this.client.removeContainer(facts.oldId, { force: true }, ctx.signal);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    if (this.options.removeOldImage && facts.oldImageId !== facts.targetImageId) {
      // In use by another container (409) or already gone (404): both leave nothing to do.
      await this.client.removeImage(facts.oldImageId, ctx.signal).catch((error: unknown) => {
        if (!(error instanceof ConflictError || error instanceof NotFoundError)) throw error;
      });
    }
  }

  async locate(
    _asset: Asset,
    _target: UpdateTarget,
    rawFacts: Record<string, unknown>,
  ): Promise<'target' | 'previous' | 'unknown'> {
    const facts = readFacts(rawFacts);
    const holder = await this.client.findContainer(facts.containerName);
    if (!holder) return 'unknown';
    if (holder.Id === facts.oldId) {
      // Stopped mid-update, it is not "in place": report unknown so that rollback starts it again.
      return holder.State.Running || !facts.wasRunning ? 'previous' : 'unknown';
    }
    if (holder.Image === facts.targetImageId && holder.State.Running) return 'target';
    return 'unknown';
  }
}

export function createDockerUpdater(options: DockerUpdaterOptions): DockerUpdater {
  return new DockerUpdater(options);
}
