/**
 * End-to-end helpers: the real CLI (`node dist/cli/main.js`, built by `npm test` before the suites run) in
 * its own process, with a configuration and a journal of its own per test, against the local environment
 * that env/up.sh starts (kwok cluster, chart repositories, registries).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { openJournal } from '../../src/state/journal.js';
import type { Journal } from '../../src/state/types.js';
import { loadEnvironment, repoRoot } from '../support/env.js';
import { clients, pollUntil, workloads } from '../kubernetes/cluster.js';

const run = promisify(execFile);

export const CLI = join(repoRoot, 'dist', 'cli', 'main.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed, when it is JSON. */
  json: Record<string, unknown> | undefined;
}

export interface Workspace {
  dir: string;
  configPath: string;
  statePath: string;
  /** Runs the CLI with this workspace's configuration. */
  cli(args: readonly string[], options?: { timeoutMs?: number }): Promise<CliResult>;
  /** Starts the CLI and hands the process over (for SIGKILL trials). */
  spawnCli(args: readonly string[]): ChildProcess;
  journal(): Promise<Journal>;
  cleanup(): Promise<void>;
}

export interface WorkspaceConfig {
  helm: 'helm3' | 'helm4';
  namespaces: string[];
  assets?: Record<string, unknown>[];
  healthChecks?: Record<string, unknown>;
  policies?: Record<string, unknown>;
  defaultPolicy?: string;
  rollback?: Record<string, unknown>;
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr, json: parseJson(stdout) }));
  });
}

export function createWorkspace(config: WorkspaceConfig): Workspace {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  const env = loadEnvironment();
  const dir = mkdtempSync(join(tmpdir(), 'su-e2e-'));
  const configPath = join(dir, 'safe-updater.yaml');
  const statePath = join(dir, 'state.db');
  writeFileSync(
    configPath,
    stringify({
      state: `sqlite://${statePath}`,
      kubernetes: { kubeconfig: env.kubeconfig, namespaces: config.namespaces },
      helm: { binary: env.tools[config.helm], timeout: '2m' },
      docker: { enabled: false },
      registries: [{ host: env.registries.anonymous.host, insecure: true }],
      defaultPolicy: config.defaultPolicy ?? 'all',
      policies: config.policies ?? {},
      rollback: { timeout: '90s', monitor: '2s', maxRollbacks: 3, window: '1h', ...config.rollback },
      healthChecks: config.healthChecks ?? {},
      assets: config.assets ?? [],
    }),
  );
  const spawnCli = (args: readonly string[]): ChildProcess =>
    spawn(process.execPath, [CLI, '--config', configPath, '--output', 'json', ...args], {
      cwd: dir,
      env: { ...process.env, SAFE_UPDATER_ACTOR: 'e2e', SAFE_UPDATER_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const opened: Journal[] = [];
  return {
    dir,
    configPath,
    statePath,
    spawnCli,
    async cli(args, options = {}) {
      const child = spawnCli(args);
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 240_000);
      try {
        return await collect(child);
      } finally {
        clearTimeout(timer);
      }
    },
    async journal() {
      const journal = await openJournal(`sqlite://${statePath}`);
      opened.push(journal);
      return journal;
    },
    async cleanup() {
      await Promise.all(opened.map((journal) => journal.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `helm install` of the demo chart from the anonymous chart repository, as a person would. */
export async function installRelease(
  helm: 'helm3' | 'helm4',
  namespace: string,
  release: string,
  version: string,
): Promise<void> {
  const env = loadEnvironment();
  await run(
    env.tools[helm],
    [
      'install',
      release,
      env.fixtures.chart,
      '--repo',
      env.chartRepos.anonymous,
      '--version',
      version,
      '--namespace',
      namespace,
      '--kubeconfig',
      env.kubeconfig,
      '--timeout',
      '3m',
    ],
    { timeout: 240_000 },
  );
}

/** The image tag of a workload's first container, read from the API. */
export async function liveTag(namespace: string, kind: 'Deployment', name: string): Promise<string> {
  const workload = await workloads(clients()).read({ kind, namespace, name });
  // repo:tag or repo:tag@sha256:… (updaters pin the digest)
  const image = (workload.podSpec.containers[0]?.image ?? '').split('@')[0] ?? '';
  return image.slice(image.lastIndexOf(':') + 1);
}

/** Waits until a Deployment runs `tag` with every replica updated and available. */
export async function waitForDeployment(namespace: string, name: string, tag?: string): Promise<void> {
  const kube = clients();
  await pollUntil(
    `deployment ${namespace}/${name}${tag ? ` on ${tag}` : ''} available`,
    async () => {
      const deployment = await kube.apps.readNamespacedDeployment({ namespace, name });
      const spec = deployment.spec?.replicas ?? 1;
      const status = deployment.status;
      const image = (deployment.spec?.template.spec?.containers[0]?.image ?? '').split('@')[0] ?? '';
      const ready =
        (status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0) &&
        (status?.updatedReplicas ?? 0) === spec &&
        (status?.availableReplicas ?? 0) === spec &&
        (status?.replicas ?? 0) === spec;
      return ready && (!tag || image.endsWith(`:${tag}`)) ? true : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 500 },
  );
}

/** States of the records of an asset, newest first, from `history --output json`. */
export interface HistoryUpdate {
  id: string;
  state: string;
  fromVersion: string;
  toVersion: string;
  reason: string | null;
  transitions: { from: string | null; to: string }[];
}

export function historyUpdates(result: CliResult): HistoryUpdate[] {
  const updates = result.json?.updates;
  if (!Array.isArray(updates))
    throw new Error(`history printed no updates: ${result.stdout}\n${result.stderr}`);
  return updates as HistoryUpdate[];
}

/** A message for failed expectations: what the CLI said. */
export function said(result: CliResult): string {
  return `exit ${String(result.code)}\nstdout: ${result.stdout.slice(0, 4000)}\nstderr: ${result.stderr.slice(-4000)}`;
}
