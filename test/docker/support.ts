/**
 * Shared pieces of the Docker suites: a client on podman's Docker API from the environment, unique
 * container names, fixture containers made like a user would make them, the real update workflow with an
 * in-memory journal, and cleanup that removes everything a test made (parked old containers included).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { createServer } from 'node:net';
import { systemClock } from '../../src/core/clock.js';
import type { Asset } from '../../src/core/model.js';
import { DockerClient } from '../../src/docker/client.js';
import type { ContainerCreateBody } from '../../src/docker/types.js';
import { createHealthChecker } from '../../src/health/checker.js';
import { createVerifier } from '../../src/health/verifier.js';
import { createOutboxNotifier } from '../../src/notify/notifier.js';
import type { WorkflowDeps } from '../../src/orchestrator/run-update.js';
import { createDockerSource } from '../../src/sources/docker.js';
import { createUpdaters } from '../../src/updaters/index.js';
import {
  createDockerCommandExecutor,
  createDockerUpdater,
  type DockerUpdater,
} from '../../src/updaters/docker/index.js';
import { loadEnvironment } from '../support/env.js';
import { openJournal } from '../../src/state/journal.js';

export const HOST_NAME = 'test';

export function environment() {
  const env = loadEnvironment();
  const registry = env.registries.anonymous.host;
  const repository = `${registry}/${env.fixtures.imageRepository}`;
  return { env, registry, repository };
}

export function newClient(): DockerClient {
  return new DockerClient({ host: loadEnvironment().docker.host });
}

export function uniqueName(prefix: string): string {
  return `su-${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A free TCP port on loopback for a published container port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function until<T>(what: string, deadlineMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > end) throw new Error(`${what} not within ${deadlineMs / 1000} s: ${String(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Waits until the engine answers and can pull a fixture image from the local registry: a capability, not
 * merely a socket (the environment may still be starting on a loaded machine).
 */
export async function waitForDocker(client: DockerClient): Promise<void> {
  const { repository } = environment();
  await until('podman Docker API', 120_000, async () => {
    await client.ping();
    await client.pullImage({ image: repository, tag: '1.0.0' });
    return true;
  });
}

export interface AppOptions {
  tag: string;
  /** Pull the tag first (default); false runs whatever the host has under it. */
  pull?: boolean;
  labels?: Record<string, string>;
  env?: string[];
  /** Publish the app's :8080 on this loopback port. */
  port?: number;
  extra?: Partial<ContainerCreateBody>;
  hostConfig?: Record<string, unknown>;
}

/** Creates and starts a fixture app container the way a user would (named volume, restart policy, env). */
export async function runApp(client: DockerClient, name: string, options: AppOptions): Promise<string> {
  const { repository } = environment();
  if (options.pull !== false) await client.pullImage({ image: repository, tag: options.tag });
  const hostConfig: Record<string, unknown> = {
    Binds: [`${name}-data:/data`],
    RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 5 },
    ...(options.port
      ? { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(options.port) }] } }
      : {}),
    ...options.hostConfig,
  };
  const id = await client.createContainer(name, {
    Image: `${repository}:${options.tag}`,
    Env: ['GREETING=hello', ...(options.env ?? [])],
    Labels: { 'safe-updater.io/enable': 'true', ...options.labels },
    // busybox httpd as PID 1 ignores SIGTERM: a short stop timeout keeps the suites fast.
    StopTimeout: 2,
    ...options.extra,
    HostConfig: hostConfig,
  });
  await client.startContainer(id);
  return id;
}

export async function discoverAsset(client: DockerClient, name: string): Promise<Asset> {
  const source = createDockerSource({ client, hostName: HOST_NAME, defaultPolicy: 'all' });
  const result = await source.discover();
  const asset = result.assets.find((a) => a.name === name);
  if (!asset) throw new Error(`container ${name} not discovered: ${JSON.stringify(result.problems)}`);
  return asset;
}

export function newUpdater(client: DockerClient, options: { stableMs?: number } = {}): DockerUpdater {
  return createDockerUpdater({
    client,
    hostName: HOST_NAME,
    stableMs: options.stableMs ?? 3_000,
    pollIntervalMs: 250,
  });
}

/** The real write-ahead workflow (run-update) over the Docker updater, with the real journal on in-memory SQLite. */
export async function newWorkflow(client: DockerClient, updater: DockerUpdater = newUpdater(client)) {
  const clock = systemClock;
  const journal = await openJournal('sqlite::memory:', { clock });
  await journal.migrate();
  const deps: WorkflowDeps = {
    journal,
    updaters: createUpdaters({ docker: () => updater }),
    verifier: createVerifier({
      clock,
      checker: createHealthChecker({ clock, executor: createDockerCommandExecutor(client) }),
      monitorMs: 0,
    }),
    clock,
    notifier: createOutboxNotifier({ journal, clock, channels: [] }),
    holder: `docker-test:${process.pid}`,
    limits: { maxRollbacks: 3, windowMs: 3_600_000 },
  };
  return { deps, journal, updater };
}

/** Removes every container whose name starts with `name` (the parked old one too) and its data volume. */
export async function removeApp(client: DockerClient, name: string): Promise<void> {
  const all = await client.listContainers({ all: true }).catch(() => []);
  for (const container of all) {
    if (container.Names.some((n) => n.replace(/^\//, '').startsWith(name))) {
      await client.removeContainer(container.Id, { force: true }).catch(() => undefined);
    }
  }
  await client.removeVolume(`${name}-data`).catch(() => undefined);
}

/** The containers (by name) that exist for an app, parked ones included. */
export async function containersOf(client: DockerClient, name: string): Promise<string[]> {
  const all = await client.listContainers({ all: true });
  return all
    .flatMap((c) => c.Names.map((n) => n.replace(/^\//, '')))
    .filter((n) => n.startsWith(name))
    .sort();
}

export async function readData(client: DockerClient, name: string, file: string): Promise<string> {
  const result = await client.exec(name, ['cat', `/data/${file}`], { timeoutMs: 30_000 });
  return result.stdout.trim();
}

export interface DockerSuite {
  /** The client, connected once the engine can pull fixtures (after beforeAll). */
  readonly client: DockerClient;
  /** A unique container name that afterAll removes (with its parked container and data volume). */
  app(prefix: string): string;
}

/** Registers the hooks every Docker suite needs: wait for the engine, and remove what the tests made. */
export function dockerSuite(): DockerSuite {
  let connected: DockerClient | undefined;
  const made: string[] = [];
  beforeAll(async () => {
    connected = newClient();
    await waitForDocker(connected);
  });
  afterAll(async () => {
    if (!connected) return;
    // Newest first: a container that joined another's network namespace must go before its peer.
    for (const name of [...made].reverse()) await removeApp(connected, name);
    await connected.close();
  });
  return {
    get client(): DockerClient {
      if (!connected) throw new Error('the Docker suite is not connected yet (use it inside tests)');
      return connected;
    },
    app(prefix: string): string {
      const name = uniqueName(prefix);
      made.push(name);
      return name;
    },
  };
}
