/**
 * Where registry credentials come from, first match wins:
 *   1. the config's `registries` entry for the host (inline password, passwordEnv, passwordFile);
 *   2. docker config.json files (Kubernetes imagePullSecrets are the same format): `credHelpers[host]`,
 *      then `auths[host]` (auth = base64 user:password, or identitytoken / registrytoken), then `credsStore`.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError, errorMessage } from '../../core/errors.js';
import { normaliseRegistryHost } from './image-ref.js';

export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (docker login to some registries stores one as `identitytoken`). */
  identityToken?: string;
  /** A bearer token to send as is (`registrytoken`). */
  registryToken?: string;
}

export interface RegistrySettings {
  host: string;
  /** Plain HTTP. */
  insecure?: boolean;
  username?: string;
  password?: string;
  passwordEnv?: string;
  passwordFile?: string;
}

export interface DockerConfigJson {
  auths?: Record<
    string,
    { auth?: string; username?: string; password?: string; identitytoken?: string; registrytoken?: string }
  >;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

export interface CredentialDeps {
  registries: RegistrySettings[];
  /** Paths of docker config.json files to read (missing files are skipped). */
  dockerConfigPaths?: string[];
  /** Already-parsed docker configs, e.g. from imagePullSecrets. */
  dockerConfigs?: DockerConfigJson[];
  env?: NodeJS.ProcessEnv;
  /** Runs `docker-credential-<helper> get`; replaceable in tests. */
  runCredentialHelper?: (
    helper: string,
    host: string,
  ) => Promise<{ Username: string; Secret: string } | undefined>;
}

async function defaultCredentialHelper(
  helper: string,
  host: string,
): Promise<{ Username: string; Secret: string } | undefined> {
  // execa loads only when a credential helper is configured.
  const { execa } = await import('execa');
  const result = await execa(`docker-credential-${helper}`, ['get'], {
    input: host,
    reject: false,
    timeout: 10_000,
  });
  if (result.exitCode !== 0) return undefined;
  return JSON.parse(result.stdout) as { Username: string; Secret: string };
}

export function findRegistrySettings(
  registries: RegistrySettings[],
  registry: string,
): RegistrySettings | undefined {
  return registries.find((r) => normaliseRegistryHost(r.host) === registry);
}

async function fromSettings(
  settings: RegistrySettings,
  env: NodeJS.ProcessEnv,
): Promise<RegistryCredentials | undefined> {
  let password = settings.password;
  if (settings.passwordEnv !== undefined) {
    password = env[settings.passwordEnv];
    if (password === undefined) {
      throw new ConfigError(
        `registry ${settings.host}: environment variable ${settings.passwordEnv} is not set`,
      );
    }
  }
  if (settings.passwordFile !== undefined) {
    try {
      password = (await readFile(settings.passwordFile, 'utf8')).trim();
    } catch (error) {
      throw new ConfigError(
        `registry ${settings.host}: cannot read passwordFile ${settings.passwordFile}: ${errorMessage(error)}`,
      );
    }
  }
  if (settings.username === undefined && password === undefined) return undefined;
  return { username: settings.username ?? '', password: password ?? '' };
}

function fromAuthEntry(
  entry: NonNullable<DockerConfigJson['auths']>[string],
): RegistryCredentials | undefined {
  if (entry.registrytoken) return { registryToken: entry.registrytoken };
  if (entry.identitytoken) return { identityToken: entry.identitytoken, username: entry.username ?? '' };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry.username !== undefined || entry.password !== undefined) {
    return { username: entry.username ?? '', password: entry.password ?? '' };
  }
  return undefined;
}

/** Resolves the credentials of registries, reading docker config files once. */
export class CredentialStore {
  private configs: Promise<DockerConfigJson[]> | undefined;
  private readonly resolved = new Map<string, Promise<RegistryCredentials | undefined>>();
  constructor(private readonly deps: CredentialDeps) {}

  private loadConfigs(): Promise<DockerConfigJson[]> {
    this.configs ??= (async () => {
      const loaded: DockerConfigJson[] = [...(this.deps.dockerConfigs ?? [])];
      for (const path of this.deps.dockerConfigPaths ?? []) {
        let text: string;
        try {
          text = await readFile(path, 'utf8');
        } catch {
          continue;
        }
        try {
          loaded.push(JSON.parse(text) as DockerConfigJson);
        } catch (error) {
          throw new ConfigError(`docker config ${path} is not valid JSON: ${errorMessage(error)}`);
        }
      }
      return loaded;
    })();
    return this.configs;
  }

  /**
   * Adds docker configs found later (Kubernetes imagePullSecrets of discovered workloads); they rank after
   * the configured ones. Answers already given are forgotten so the next lookup sees them.
   */
  addDockerConfigs(configs: DockerConfigJson[]): void {
    if (configs.length === 0) return;
    const loaded = this.loadConfigs();
    this.configs = loaded.then((existing) => [...existing, ...configs]);
    this.resolved.clear();
  }

  forRegistry(registry: string): Promise<RegistryCredentials | undefined> {
    let value = this.resolved.get(registry);
    if (!value) {
      value = this.resolve(registry);
      this.resolved.set(registry, value);
    }
    return value;
  }

  private async resolve(registry: string): Promise<RegistryCredentials | undefined> {
    const settings = findRegistrySettings(this.deps.registries, registry);
    const configured = settings ? await fromSettings(settings, this.deps.env ?? process.env) : undefined;
    if (configured) return configured;
    const helper = this.deps.runCredentialHelper ?? defaultCredentialHelper;
    for (const config of await this.loadConfigs()) {
      const helperName = Object.entries(config.credHelpers ?? {}).find(
        ([host]) => normaliseRegistryHost(host) === registry,
      )?.[1];
      if (helperName) return this.fromHelper(helper, helperName, registry);
      const entry = Object.entries(config.auths ?? {}).find(
        ([host]) => normaliseRegistryHost(host) === registry,
      )?.[1];
      const fromAuths = entry ? fromAuthEntry(entry) : undefined;
      if (fromAuths) return fromAuths;
      if (config.credsStore) {
        const stored = await this.fromHelper(helper, config.credsStore, registry);
        if (stored) return stored;
      }
    }
    return undefined;
  }

  private async fromHelper(
    helper: NonNullable<CredentialDeps['runCredentialHelper']>,
    name: string,
    registry: string,
  ): Promise<RegistryCredentials | undefined> {
    const host = registry === 'index.docker.io' ? 'https://index.docker.io/v1/' : registry;
    const answer = await helper(name, host);
    if (!answer) return undefined;
    // Docker's convention: the user name '<token>' marks an identity token.
    return answer.Username === '<token>'
      ? { identityToken: answer.Secret }
      : { username: answer.Username, password: answer.Secret };
  }
}
