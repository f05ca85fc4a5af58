/**
 * The container image: scripts/image.sh builds it without Docker (the Dockerfile's layout: Node, /app/dist,
 * production node_modules with the native better-sqlite3, helm, user 10001) and pushes it to the local
 * anonymous registry; podman, with the environment's containers.conf and storage (.run/podman/env.sh), runs
 * it. Checked: the image's config matches the chart's Deployment, the registry holds every blob, `--help`
 * and `--version` as the non-root user, helm inside with its writable homes under /tmp, no dev dependencies,
 * a SQLite journal written in the working directory /data, and the daemon under the chart's restrictions
 * (read-only root, no capabilities) answering /healthz and /readyz from the host, then stopping with exit 0.
 * Build time and image size are printed.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { run, uniqueName, waitFor } from '../environment/support.js';
import { loadEnvironment, repoRoot } from '../support/env.js';

const SCRIPT = join(repoRoot, 'scripts', 'image.sh');
const CHART = join(repoRoot, 'deploy', 'helm', 'safe-updater');
const APP_UID = 10001;
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** The podman settings env/up.sh wrote (CONTAINERS_CONF, storage, registries): `export KEY="VALUE"` lines. */
function podmanEnv(): Record<string, string> {
  const text = readFileSync(join(repoRoot, '.run', 'podman', 'env.sh'), 'utf8');
  return Object.fromEntries([...text.matchAll(/^export (\w+)="([^"]*)"$/gm)].map((m) => [m[1], m[2]]));
}

describe('container image (scripts/image.sh, run with podman)', () => {
  const env = loadEnvironment();
  const registry = env.registries.anonymous.host;
  const reference = `${registry}/safe-updater:${pkg.version}`;
  const podman = (args: string[], timeoutMs = 120_000) =>
    run('podman', args, { env: podmanEnv(), timeoutMs });
  /** `podman run --rm` of the image with ARGS (after podman OPTIONS); resolves with output and exit code. */
  const runImage = (args: string[], options: string[] = []) =>
    podman(['run', '--rm', '--pull=never', ...options, reference, ...args]);
  const nodeInImage = (script: string) => runImage(['-e', script], ['--entrypoint', 'node']);
  const dirs: string[] = [];
  const containers: string[] = [];
  /** A host folder the image's user may write to (mounted as a volume). */
  const hostDir = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    chmodSync(dir, 0o777);
    dirs.push(dir);
    return dir;
  };

  // Generous: tsc dominates the build (measured 61 s at load 6); CI machines may be far busier.
  beforeAll(async () => {
    const started = performance.now();
    const built = await run('bash', [SCRIPT], { timeoutMs: 540_000 });
    const seconds = (performance.now() - started) / 1000;
    if (built.code !== 0) throw new Error(`scripts/image.sh exited ${built.code}: ${built.stderr}`);
    // Quiet on success: the reference it pushed, nothing else.
    expect(built.stdout).toBe(`${reference}\n`);
    expect(built.stderr).toBe('');
    const size = Number((await podman(['image', 'inspect', '--format', '{{.Size}}', reference])).stdout);
    console.info(
      `[image] scripts/image.sh built and pushed ${reference} in ${seconds.toFixed(1)} s; ` +
        `${(size / 1e6).toFixed(1)} MB uncompressed`,
    );
  }, 600_000);

  afterAll(async () => {
    for (const name of containers) await podman(['rm', '-f', '-t', '2', name]);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("has the chart's entrypoint, command, user and working directory, and the registry holds it", async () => {
    const inspected = await podman(['image', 'inspect', '--format', '{{json .Config}}', reference]);
    const config = JSON.parse(inspected.stdout) as {
      User: string;
      Entrypoint: string[];
      Cmd: string[];
      WorkingDir: string;
      Env: string[];
      Labels: Record<string, string>;
    };
    expect(config.Entrypoint).toEqual(['node', '/app/dist/cli/main.js']);
    expect(config.User).toBe(`${APP_UID}:${APP_UID}`);
    expect(config.WorkingDir).toBe('/data');
    expect(config.Env).toEqual(
      expect.arrayContaining(['NODE_ENV=production', 'HELM_CACHE_HOME=/tmp/helm/cache']),
    );
    expect(config.Labels['org.opencontainers.image.version']).toBe(pkg.version);

    // The default command is what the chart's Deployment runs after its --config and --log-level.
    const rendered = await run(env.tools.helm4, [
      'template',
      'su',
      CHART,
      '--show-only',
      'templates/deployment.yaml',
    ]);
    expect(rendered.code, rendered.stderr).toBe(0);
    const deployment = parse(rendered.stdout) as {
      spec: {
        template: { spec: { containers: { args: string[] }[]; securityContext: { runAsUser: number } } };
      };
    };
    const podSpec = deployment.spec.template.spec;
    expect(podSpec.containers[0]?.args.slice(-config.Cmd.length)).toEqual(config.Cmd);
    expect(config.Cmd).toEqual(['watch', '--listen', '0.0.0.0:8080']);
    expect(podSpec.securityContext.runAsUser).toBe(APP_UID);

    // Pushed: the manifest and every blob it names are in the registry (a pull would find them).
    const manifestResponse = await fetch(`http://${registry}/v2/safe-updater/manifests/${pkg.version}`, {
      headers: {
        accept:
          'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
      },
    });
    expect(manifestResponse.status).toBe(200);
    const manifest = (await manifestResponse.json()) as {
      config: { digest: string; size: number };
      layers: { digest: string; size: number }[];
    };
    for (const blob of [manifest.config, ...manifest.layers]) {
      const head = await fetch(`http://${registry}/v2/safe-updater/blobs/${blob.digest}`, { method: 'HEAD' });
      expect(head.status, blob.digest).toBe(200);
    }
    const compressed = manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
    console.info(`[image] ${reference}: ${(compressed / 1e6).toFixed(1)} MB compressed in the registry`);
  });

  it('answers --help and --version as the non-root user', async () => {
    const help = await runImage(['--help']);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: safe-updater');
    expect(help.stdout).toContain('watch');
    const version = await runImage(['--version']);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(pkg.version);
    const identity = await nodeInImage('console.log(JSON.stringify([process.getuid(), process.getgid()]))');
    expect(identity.code, identity.stderr).toBe(0);
    expect(JSON.parse(identity.stdout)).toEqual([APP_UID, APP_UID]);
  });

  it('holds helm on the PATH, with its cache, config and data under /tmp', async () => {
    const version = await runImage(['version', '--short'], ['--entrypoint', 'helm']);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout).toMatch(/^v[34]\.\d+\.\d+/);
    const helmEnv = await runImage(['env'], ['--entrypoint', 'helm']);
    expect(helmEnv.stdout).toContain('HELM_CACHE_HOME="/tmp/helm/cache"');
    expect(helmEnv.stdout).toContain('HELM_CONFIG_HOME="/tmp/helm/config"');
    expect(helmEnv.stdout).toContain('HELM_DATA_HOME="/tmp/helm/data"');
  });

  it('holds the production dependencies only', async () => {
    const listed = await nodeInImage(
      `const fs = require('fs'); const dir = '/app/node_modules';
       const names = fs.readdirSync(dir).flatMap((n) => n.startsWith('@') ? fs.readdirSync(dir + '/' + n).map((m) => n + '/' + m) : [n]);
       console.log(JSON.stringify(names));`,
    );
    expect(listed.code, listed.stderr).toBe(0);
    const installed = new Set(JSON.parse(listed.stdout) as string[]);
    for (const name of Object.keys(pkg.dependencies)) expect(installed.has(name), name).toBe(true);
    // @types/* may come back as dependencies of production packages (@kubernetes/client-node has some).
    const tools = Object.keys(pkg.devDependencies).filter((name) => !name.startsWith('@types/'));
    expect(tools).toEqual(expect.arrayContaining(['vitest', 'typescript', 'eslint']));
    for (const name of tools) expect(installed.has(name), `${name} is a dev dependency`).toBe(false);
  });

  it('keeps a SQLite journal in its working directory /data, written as its user', async () => {
    const data = hostDir('su-image-data-');
    const paused = await runImage(['pause', '--all'], ['-v', `${data}:/data`]);
    expect(paused.code, paused.stderr).toBe(0);
    const status = await runImage(['--output', 'json', 'status', '--no-lookup'], ['-v', `${data}:/data`]);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual({ assets: [] });
    // The default journal (.safe-updater/state.db under the working directory), migrated, in WAL mode.
    const file = join(data, '.safe-updater', 'state.db');
    expect(statSync(file).uid).toBe(APP_UID);
    const db = new Database(file, { readonly: true });
    try {
      const tables = db.prepare("select name from sqlite_master where type = 'table'").all() as {
        name: string;
      }[];
      expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['updates', 'transitions', 'assets']));
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('runs the daemon under the chart restrictions, answers /healthz from the host and stops with exit 0', async () => {
    const config = hostDir('su-image-config-');
    const data = hostDir('su-image-data-');
    mkdirSync(join(config, 'etc'));
    writeFileSync(
      join(config, 'etc', 'safe-updater.yaml'),
      stringify({
        state: 'sqlite:///data/state.db',
        kubernetes: { enabled: false },
        helm: { enabled: false },
        docker: { enabled: false },
        server: { listen: '0.0.0.0:8080', tokens: ['image-test-token-0123456789abcdef'] },
      }),
    );
    const name = uniqueName('su-image');
    containers.push(name);
    // The chart's securityContext: read-only root, no capabilities, no privilege escalation; /tmp and /data
    // writable, the configuration read-only at /etc/safe-updater; the chart's arguments.
    const started = await podman([
      'run',
      '-d',
      '--pull=never',
      '--name',
      name,
      '--read-only',
      '--tmpfs',
      '/tmp',
      '--cap-drop',
      'ALL',
      '--security-opt',
      'no-new-privileges',
      '-v',
      `${join(config, 'etc')}:/etc/safe-updater:ro`,
      '-v',
      `${data}:/data`,
      '-p',
      '127.0.0.1::8080',
      reference,
      '--config',
      '/etc/safe-updater/safe-updater.yaml',
      '--log-level',
      'info',
      'watch',
      '--listen',
      '0.0.0.0:8080',
    ]);
    expect(started.code, started.stderr).toBe(0);
    const port = await podman(['port', name, '8080']);
    expect(port.code, port.stderr).toBe(0);
    const address = port.stdout.trim().split('\n')[0] ?? '';
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);

    const health = await waitFor(
      'the daemon in the container to answer /healthz',
      async () => {
        const state = await podman(['inspect', '--format', '{{.State.Status}}', name]);
        if (state.stdout.trim() !== 'running') {
          const logs = await podman(['logs', name]);
          throw new Error(`the container is ${state.stdout.trim()}: ${logs.stderr}${logs.stdout}`);
        }
        const response = await fetch(`http://${address}/healthz`).catch(() => undefined);
        return response?.status === 200 ? response : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await waitFor('/readyz', async () => {
      const response = await fetch(`http://${address}/readyz`);
      return response.status === 200 ? response.status : undefined;
    });
    expect(ready).toBe(200);

    // SIGTERM to node as PID 1: the daemon's own handler ends it cleanly.
    const stopped = await podman(['stop', '-t', '30', name]);
    expect(stopped.code, stopped.stderr).toBe(0);
    const exit = await podman(['inspect', '--format', '{{.State.ExitCode}}', name]);
    expect(exit.stdout.trim()).toBe('0');
  });
});
