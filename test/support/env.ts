/**
 * Connection details of the local environment that `bash env/up.sh` starts (registries, chart repositories,
 * Helm 3 and 4, a kwok-backed Kubernetes control plane, PostgreSQL and podman's Docker API). up.sh writes
 * them to `.run/env.json`; integration tests, end-to-end tests and benchmarks read them through here so that
 * no port, credential or path is hard-coded twice.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BasicCredentials {
  username: string;
  password: string;
}

export interface Environment {
  registries: {
    /** Distribution without authentication. */
    anonymous: { host: string };
    /** Distribution with htpasswd basic auth. */
    basic: { host: string } & BasicCredentials;
    /** Distribution with bearer-token auth; `realm` is our token server (it asks for basic credentials). */
    token: { host: string; realm: string; service?: string } & BasicCredentials;
  };
  chartRepos: {
    /** Plain HTTP chart repository (index.yaml + .tgz). */
    anonymous: string;
    /** The same charts behind HTTP basic auth. */
    basic: { url: string } & BasicCredentials;
  };
  /** OCI chart base on the anonymous registry, e.g. `oci://127.0.0.1:5001/charts` (+ `/demo-app`). */
  ociCharts: string;
  /** Absolute paths of the binaries under `.tools/bin`. */
  tools: { helm3: string; helm4: string; kubectl: string };
  /** Absolute path of the admin kubeconfig of the kwok cluster. */
  kubeconfig: string;
  /** The cluster behind `kubeconfig`: server version, API URL, number of kwok nodes. */
  kubernetes?: { version: string; server: string; nodes: number };
  postgres: { url: string };
  /** podman's Docker-compatible API. `host` is the DOCKER_HOST form (`unix://…`). */
  docker: { socket: string; host: string };
  /** What the fixture publisher put into the registries and chart repositories. */
  fixtures: EnvironmentFixtures;
}

export interface EnvironmentFixtures {
  /** Image repository path on every registry, e.g. `demo/app`. */
  imageRepository: string;
  /** Every tag pushed to `imageRepository` on all three registries. */
  imageTags: string[];
  /** Digests `latest` pointed at, oldest first; the last one is the current one. */
  latestDigests: string[];
  /** Chart name in both chart repositories and under `ociCharts`. */
  chart: string;
  /** Chart version → image tag its Deployment runs. */
  chartVersions: Record<string, string>;
}

/** Repository root: test/support/env.ts lives two levels below it. */
export const repoRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where up.sh writes the connection details. */
export const environmentFile: string = resolve(repoRoot, '.run', 'env.json');

let cached: Environment | undefined;

/**
 * Reads `.run/env.json`. Throws with a hint when the environment has not been started: tests that need it
 * must fail loudly rather than skip, since CI always runs `env/up.sh` first.
 */
export function loadEnvironment(): Environment {
  if (cached) return cached;
  let raw: string;
  try {
    raw = readFileSync(environmentFile, 'utf8');
  } catch (error) {
    throw new Error(
      `The local environment is not up (${environmentFile} is missing): run \`bash env/up.sh\` first`,
      { cause: error },
    );
  }
  const parsed = JSON.parse(raw) as Environment;
  for (const key of [
    'registries',
    'chartRepos',
    'ociCharts',
    'tools',
    'kubeconfig',
    'postgres',
    'docker',
    'fixtures',
  ] as const) {
    if (parsed[key] === undefined) {
      throw new Error(`${environmentFile} has no "${key}": run \`bash env/up.sh\` (all components) first`);
    }
  }
  const absolute = (path: string): string => (isAbsolute(path) ? path : resolve(repoRoot, path));
  cached = {
    ...parsed,
    tools: {
      helm3: absolute(parsed.tools.helm3),
      helm4: absolute(parsed.tools.helm4),
      kubectl: absolute(parsed.tools.kubectl),
    },
    kubeconfig: absolute(parsed.kubeconfig),
    docker: { socket: absolute(parsed.docker.socket), host: `unix://${absolute(parsed.docker.socket)}` },
  };
  return cached;
}
