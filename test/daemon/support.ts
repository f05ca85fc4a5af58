/**
 * Daemon suites: the real CLI (`node dist/cli/main.js watch`, built by `npm test`) in its own process, with
 * a configuration and a SQLite journal of its own, against the kwok cluster and the local registries.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadEnvironment, repoRoot } from '../support/env.js';
import { clients, createWorkload, deleteNamespace, demoImage, pollUntil } from '../kubernetes/cluster.js';
import { waitForDeployment } from '../e2e/support.js';

export const CLI = join(repoRoot, 'dist', 'cli', 'main.js');
export const API_TOKEN = 'daemon-test-token-0123456789abcdef';
export const HOOK_SECRET = 'daemon-test-hook-secret';

export interface DaemonWorkspace {
  dir: string;
  configPath: string;
  statePath: string;
  start(args: readonly string[], options?: StartOptions): DaemonProcess;
  cleanup(): void;
}

export interface StartOptions {
  /** Set in this process's environment on top of the defaults (e.g. POD_NAMESPACE, POD_NAME of a replica). */
  env?: Record<string, string>;
}

export interface DaemonProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The URL the server listens on, read from stderr (`listening on http://…`). */
  url(timeoutMs?: number): Promise<string>;
  kill(): void;
}

export function createDaemonWorkspace(
  namespaces: string[],
  extra: Record<string, unknown> = {},
): DaemonWorkspace {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  const env = loadEnvironment();
  const dir = mkdtempSync(join(tmpdir(), 'su-daemon-'));
  const configPath = join(dir, 'safe-updater.yaml');
  const statePath = join(dir, 'state.db');
  writeFileSync(
    configPath,
    stringify({
      state: `sqlite://${statePath}`,
      kubernetes: { kubeconfig: env.kubeconfig, namespaces },
      helm: { enabled: false },
      docker: { enabled: false },
      registries: [{ host: env.registries.anonymous.host, insecure: true }],
      defaultPolicy: 'none',
      rollback: { timeout: '2m', monitor: '1s' },
      server: { tokens: [API_TOKEN], webhookSecretEnv: 'SU_TEST_HOOK_SECRET' },
      ...extra,
    }),
  );
  const started: DaemonProcess[] = [];
  return {
    dir,
    configPath,
    statePath,
    start(args, options = {}) {
      const child = spawn(process.execPath, [CLI, '--config', configPath, ...args], {
        cwd: dir,
        env: {
          ...process.env,
          SAFE_UPDATER_LOG_LEVEL: 'info',
          SU_TEST_HOOK_SECRET: HOOK_SECRET,
          POD_NAMESPACE: '',
          ...options.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        child.once('close', (code, signal) => resolve({ code, signal }));
      });
      const proc: DaemonProcess = {
        child,
        stdout: () => out,
        stderr: () => err,
        exited,
        url: (timeoutMs = 120_000) =>
          pollUntil(
            'the daemon to listen',
            async () => {
              if (child.exitCode !== null) throw new Error(`the daemon exited ${child.exitCode}: ${err}`);
              return /listening on (http:\/\/[^\s"]+)/.exec(err)?.[1];
            },
            { timeoutMs, intervalMs: 200 },
          ),
        kill: () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        },
      };
      started.push(proc);
      return proc;
    },
    cleanup() {
      for (const proc of started) proc.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A bounded wait for a process exit. */
export async function waitForExit(
  proc: DaemonProcess,
  timeoutMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the daemon did not exit within ${timeoutMs} ms:\n${proc.stderr()}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([proc.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function getJson(url: string, token?: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the text itself
  }
  return { status: response.status, body };
}

/** Whether the daemon at `url` leads, from /readyz; undefined while it does not answer 200. */
export async function readyLeader(url: string): Promise<boolean | undefined> {
  const { status, body } = await getJson(`${url}/readyz`);
  return status === 200 ? (body as { leader: boolean }).leader : undefined;
}

/** A generic-JSON registry webhook reporting that `image` (`registry/repository:tag`) was pushed. */
export function postImagePushed(url: string, image: string, secret = HOOK_SECRET): Promise<Response> {
  const at = image.lastIndexOf(':');
  return fetch(`${url}/hooks/registry`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-webhook-secret': secret },
    body: JSON.stringify({ repository: image.slice(0, at), tag: image.slice(at + 1) }),
  });
}

/** Deployment `app` on demo image 1.0.0 with these annotations in `namespace`, rolled out. */
export async function deployApp(namespace: string, annotations: Record<string, string>): Promise<void> {
  await createWorkload(clients(), {
    kind: 'Deployment',
    namespace,
    name: 'app',
    image: demoImage('1.0.0'),
    annotations,
  });
  await waitForDeployment(namespace, 'app', '1.0.0');
}

/** afterAll of a daemon suite: the process killed, its workspace and namespace removed. */
export async function tearDown(run: {
  daemon?: DaemonProcess;
  ws?: DaemonWorkspace;
  namespace?: string;
}): Promise<void> {
  run.daemon?.kill();
  run.ws?.cleanup();
  if (run.namespace) await deleteNamespace(clients(), run.namespace).catch(() => undefined);
}
