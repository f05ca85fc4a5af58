/**
 * `scan`, `plan` and `status` through the real CLI process against the kwok cluster, a Helm release and
 * the local registries: assets discovered, newer versions found, decisions with reasons, exit codes —
 * and a broken registry listed as a failed lookup with exit 5, never as "up to date".
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClients } from '../../src/kubernetes/client.js';
import { runProcess, type CliResult } from '../cli/run-cli.js';
import {
  clients,
  createNamespace,
  createWorkload,
  deleteNamespace,
  demoImage,
} from '../kubernetes/cluster.js';
import { loadEnvironment, type Environment } from '../support/env.js';

interface AssetJson {
  id: string;
  current: { version: string; digest?: string };
  status: string;
  newestAvailable: { version: string } | null;
  decision: { target: { version: string }; updateType: string; verdict: string; reasons: string[] } | null;
  problem: string | null;
}

let env: Environment;
let kube: KubeClients;
let namespace: string;
let dir: string;
let helmEnv: Record<string, string>;
let brokenNamespace: string;

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function writeConfig(name: string, namespaces: string[], kinds = { helm: true, docker: true }): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `state: sqlite://${join(dir, `${name}.db`)}
kubernetes: { kubeconfig: ${env.kubeconfig}, namespaces: [${namespaces.join(', ')}] }
helm: { binary: ${env.tools.helm3}, enabled: ${kinds.helm} }
docker: { host: ${env.docker.host}, enabled: ${kinds.docker} }
registries:
  - { host: ${env.registries.basic.host}, username: ${env.registries.basic.username}, password: ${env.registries.basic.password} }
policies:
  careful: { allow: [patch, minor], approve: [major] }
defaultPolicy: minor
assets:
  - id: helm/${namespaces[0]}/site
    source: { helmRepo: ${env.chartRepos.anonymous}, chart: ${env.fixtures.chart} }
`,
  );
  return path;
}

async function cli(
  config: string,
  ...argv: string[]
): Promise<CliResult & { json: { assets: AssetJson[] } & Record<string, unknown> }> {
  const result = await runProcess(['--config', config, '--output', 'json', ...argv], dir, helmEnv);
  let json: { assets: AssetJson[] };
  try {
    json = JSON.parse(result.stdout) as typeof json;
  } catch {
    throw new Error(`not JSON (exit ${result.code}): ${result.stdout}\n${result.stderr}`);
  }
  return { ...result, json };
}

const byId = (assets: AssetJson[], id: string): AssetJson => {
  const found = assets.find((a) => a.id === id);
  if (!found) throw new Error(`no asset ${id} among ${assets.map((a) => a.id).join(', ')}`);
  return found;
};

beforeAll(async () => {
  env = loadEnvironment();
  kube = clients();
  namespace = await createNamespace(kube, 'scan');
  dir = mkdtempSync(join(tmpdir(), 'su-scan-'));
  helmEnv = {
    HELM_CACHE_HOME: join(dir, 'helm-cache'),
    HELM_CONFIG_HOME: join(dir, 'helm-config'),
    HELM_DATA_HOME: join(dir, 'helm-data'),
  };
  await createWorkload(kube, {
    kind: 'Deployment',
    namespace,
    name: 'web',
    image: demoImage('1.0.0'),
    annotations: { 'safe-updater.io/policy': 'minor' },
  });
  await createWorkload(kube, {
    kind: 'Deployment',
    namespace,
    name: 'edge',
    image: `${env.registries.basic.host}/${env.fixtures.imageRepository}:1.1.0-alpine`,
    annotations: { 'keel.sh/policy': 'patch' },
  });
  await createWorkload(kube, {
    kind: 'Deployment',
    namespace,
    name: 'api',
    image: demoImage('1.2.0'),
    annotations: { 'safe-updater.io/policy': 'careful' },
  });
  await execa(
    env.tools.helm3,
    [
      'install',
      'site',
      env.fixtures.chart,
      '--repo',
      env.chartRepos.anonymous,
      '--version',
      '1.0.0',
      '--namespace',
      namespace,
      '--kubeconfig',
      env.kubeconfig,
      '--no-hooks',
    ],
    { env: helmEnv },
  );
  brokenNamespace = await createNamespace(kube, 'scan-broken');
  await createWorkload(kube, {
    kind: 'Deployment',
    namespace: brokenNamespace,
    name: 'lost',
    image: `127.0.0.1:${await closedPort()}/${env.fixtures.imageRepository}:1.0.0`,
    annotations: { 'safe-updater.io/policy': 'minor' },
  });
});

afterAll(async () => {
  if (namespace) await deleteNamespace(kube, namespace);
  if (brokenNamespace) await deleteNamespace(kube, brokenNamespace);
});

// Each test starts the CLI as real processes (several seconds each on a loaded 2-core machine).
describe('scan, plan and status through the CLI', { timeout: 600_000 }, () => {
  it('scan discovers workloads and the Helm release and finds newer versions on every registry', async () => {
    const config = writeConfig('main.yaml', [namespace]);
    const { code, json, stderr } = await cli(config, 'scan', '--kind', 'kubernetes', 'helm');
    expect(stderr).not.toMatch(/UNAVAILABLE/);
    expect(json.problems).toEqual([]);
    expect(code, JSON.stringify(json.assets.filter((a) => a.problem))).toBe(0);
    const k8s = (name: string): string => `k8s/${namespace}/deployment/${name}/container/app`;

    const web = byId(json.assets, k8s('web'));
    expect(web.current.version).toBe('1.0.0');
    expect(web.newestAvailable?.version).toBe('2.1.0');
    expect(web.decision).toMatchObject({
      target: { version: '1.2.0' },
      updateType: 'minor',
      verdict: 'auto',
    });

    const edge = byId(json.assets, k8s('edge'));
    expect(edge.newestAvailable?.version).toBe('1.2.0-alpine');
    expect(edge.decision?.verdict).toBe('blocked');

    const api = byId(json.assets, k8s('api'));
    expect(api.decision).toMatchObject({
      target: { version: '2.1.0' },
      updateType: 'major',
      verdict: 'needs-approval',
    });

    const release = byId(json.assets, `helm/${namespace}/site`);
    expect(release.current.version).toBe('1.0.0');
    expect(release.newestAvailable?.version).toBe('2.0.0');
    expect(release.decision).toMatchObject({ target: { version: '1.4.0' }, verdict: 'auto' });
  });

  it('plan explains what is blocked or needs approval and exits 4', async () => {
    const config = writeConfig('plan.yaml', [namespace]);
    const { code, json } = await cli(config, 'plan', '--kind', 'kubernetes', 'helm');
    expect(code).toBe(4);
    const edge = byId(json.assets, `k8s/${namespace}/deployment/edge/container/app`);
    expect(edge.decision?.reasons.join(' ')).toContain("minor updates are not allowed by policy 'patch'");
    const api = byId(json.assets, `k8s/${namespace}/deployment/api/container/app`);
    expect(api.decision?.reasons.join(' ')).toContain(
      "major update needs an approval under policy 'careful'",
    );

    const one = await cli(
      config,
      'plan',
      `k8s/${namespace}/deployment/web/container/app`,
      '--kind',
      'kubernetes',
      'helm',
    );
    expect(one.code).toBe(0);
    expect(one.json.assets.map((a) => a.id)).toEqual([`k8s/${namespace}/deployment/web/container/app`]);
  });

  it('status shows what the last scan recorded, with newer versions looked up', async () => {
    const config = writeConfig('status.yaml', [namespace]);
    expect((await cli(config, 'scan', '--kind', 'kubernetes', 'helm')).code).toBe(0);
    const { code, json } = await cli(config, 'status');
    expect(code).toBe(0);
    const web = byId(json.assets, `k8s/${namespace}/deployment/web/container/app`) as AssetJson & {
      paused: boolean;
      lastUpdate: unknown;
    };
    expect(web).toMatchObject({ paused: false, lastUpdate: null, newestAvailable: { version: '2.1.0' } });
    const offline = await cli(config, 'status', '--no-lookup');
    expect(offline.code).toBe(0);
    expect(offline.json.assets.length).toBe(json.assets.length);
  });

  it('reaches the Docker engine and discovers its opted-in containers', async () => {
    // Other suites' containers may come and go (and point anywhere), so only the source itself is judged here.
    const config = writeConfig('docker.yaml', [namespace]);
    const { json, stderr } = await cli(config, 'scan', '--kind', 'docker');
    const problems = (json.problems as { subject: string }[]).filter((p) => p.subject === 'docker source');
    expect(problems, stderr).toEqual([]);
    expect(json.assets.every((a) => a.id.startsWith('docker/local/'))).toBe(true);
  });

  it('lists a registry that cannot be reached as a failed lookup and exits 5', async () => {
    const config = writeConfig('broken.yaml', [brokenNamespace], { helm: false, docker: false });
    const { code, json } = await cli(config, 'scan', '--kind', 'kubernetes');
    expect(code).toBe(5);
    const lost = byId(json.assets, `k8s/${brokenNamespace}/deployment/lost/container/app`);
    expect(lost.status).toBe('lookup-failed');
    expect(lost.problem).toMatch(/ECONNREFUSED/);
    expect(lost.decision).toBeNull();
  });
});
