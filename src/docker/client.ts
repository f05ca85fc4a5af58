/**
 * A small Docker Engine API client over undici (unix socket or tcp). Our own rather than dockerode because we
 * need little of the API, typed errors (Renovate's rule: a broken engine is an ExternalHostError, never "no
 * containers"), errors inside the pull progress stream treated as failures, and exec with an argument vector.
 * Works against Docker and podman's Docker-compatible service.
 */
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import {
  ConflictError,
  ExternalHostError,
  NotFoundError,
  SafeUpdaterError,
  errorMessage,
} from '../core/errors.js';
import type {
  ContainerCreateBody,
  ContainerInspect,
  ContainerSummary,
  EndpointSettings,
  ExecInspect,
  ImageInspect,
  RegistryCredentials,
} from './types.js';

/** The newest API version this client speaks; the engine's own version caps it (negotiation). */
export const CLIENT_API_VERSION = '1.43';
/** The oldest we accept: 1.41 is Docker 20.10 and what podman 4 reports. */
export const MIN_API_VERSION = '1.41';

export interface DockerClientOptions {
  /** unix:///var/run/docker.sock, tcp://host:2375 or http://host:2375 */
  host: string;
  /** Pin an API version instead of negotiating it. */
  apiVersion?: string;
}

export interface ExecOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
}

type Query = Record<string, string | number | boolean | undefined>;

interface RequestOptions {
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Status codes that are not errors for this call (e.g. 304 Not Modified on start/stop). */
  accept?: number[];
}

export function compareApiVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}

/** Decodes Docker's multiplexed stdout/stderr stream (8-byte frame headers) used when Tty is false. */
export function demultiplex(buffer: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const stream = buffer[offset];
    const size = buffer.readUInt32BE(offset + 4);
    if (stream === undefined || stream > 2 || buffer[offset + 1] !== 0) {
      // Not framed (a Tty exec, or an engine that sends raw output): take it all as stdout.
      return { stdout: buffer.toString('utf8'), stderr: '' };
    }
    const chunk = buffer.subarray(offset + 8, offset + 8 + size);
    (stream === 2 ? err : out).push(chunk);
    offset += 8 + size;
  }
  if (offset < buffer.length && offset === 0) return { stdout: buffer.toString('utf8'), stderr: '' };
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/**
 * The X-Registry-Auth header: the JSON credentials in URL-safe base64 WITH padding (Go's
 * base64.URLEncoding, which the docker CLI writes and podman requires: unpadded input fails with EOF).
 */
export function registryAuthHeader(serverAddress: string, credentials: RegistryCredentials): string {
  const json = JSON.stringify({ ...credentials, serveraddress: serverAddress });
  const encoded = Buffer.from(json, 'utf8').toString('base64url');
  return encoded.padEnd(Math.ceil(encoded.length / 4) * 4, '=');
}

/** Reads the pull progress stream; any `error` line makes the pull fail (the HTTP status is already 200). */
export function pullStreamError(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    let message: { error?: string; errorDetail?: { message?: string } };
    try {
      message = JSON.parse(trimmed) as typeof message;
    } catch {
      continue;
    }
    const error = message.errorDetail?.message ?? message.error;
    if (error) return error;
  }
  return undefined;
}

export class DockerClient {
  readonly host: string;
  private readonly pool: Pool;
  private readonly pinnedVersion: string | undefined;
  private negotiated: Promise<string> | undefined;

  constructor(options: DockerClientOptions) {
    this.host = options.host;
    this.pinnedVersion = options.apiVersion;
    // Stops wait up to the container's stop timeout and pulls stream for minutes: callers bound them with signals.
    const timeouts = { headersTimeout: 600_000, bodyTimeout: 600_000, connections: 8 };
    if (options.host.startsWith('unix://')) {
      this.pool = new Pool('http://docker', {
        ...timeouts,
        socketPath: options.host.slice('unix://'.length),
      });
    } else if (/^(tcp|http):\/\//.test(options.host)) {
      this.pool = new Pool(options.host.replace(/^tcp:/, 'http:'), timeouts);
    } else if (options.host.startsWith('/')) {
      this.pool = new Pool('http://docker', { ...timeouts, socketPath: options.host });
    } else {
      throw new SafeUpdaterError(`unsupported Docker host '${options.host}'`, {
        hint: 'use unix:///path/to/docker.sock or tcp://host:port',
      });
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** The API version both sides speak: min(engine's ApiVersion, ours), refusing engines older than 1.41. */
  apiVersion(signal?: AbortSignal): Promise<string> {
    if (this.pinnedVersion) return Promise.resolve(this.pinnedVersion);
    this.negotiated ??= this.negotiate(signal).catch((error: unknown) => {
      this.negotiated = undefined;
      throw error;
    });
    return this.negotiated;
  }

  private async negotiate(signal?: AbortSignal): Promise<string> {
    const ping = await this.raw('GET', '/_ping', { signal });
    const header = ping.headers['api-version'];
    let server = typeof header === 'string' ? header : undefined;
    await ping.body.dump();
    if (!server) {
      const version = await this.json<{ ApiVersion?: string }>('GET', '/version', { signal }, false);
      server = version.ApiVersion;
    }
    if (!server) return MIN_API_VERSION;
    if (compareApiVersions(server, MIN_API_VERSION) < 0) {
      throw new ExternalHostError(
        this.host,
        `Docker engine speaks API ${server}, older than ${MIN_API_VERSION}`,
        {
          transient: false,
          hint: 'upgrade the engine (Docker 20.10+ or podman 4+)',
        },
      );
    }
    return compareApiVersions(server, CLIENT_API_VERSION) < 0 ? server : CLIENT_API_VERSION;
  }

  async ping(signal?: AbortSignal): Promise<void> {
    await this.apiVersion(signal);
  }

  // ----- containers

  listContainers(
    options: { all?: boolean; labels?: string[] } = {},
    signal?: AbortSignal,
  ): Promise<ContainerSummary[]> {
    const filters = options.labels?.length ? JSON.stringify({ label: options.labels }) : undefined;
    return this.json('GET', '/containers/json', { query: { all: options.all ?? false, filters }, signal });
  }

  inspectContainer(idOrName: string, signal?: AbortSignal): Promise<ContainerInspect> {
    return this.json('GET', `/containers/${encodeURIComponent(idOrName)}/json`, { signal });
  }

  /** Like inspectContainer, but undefined when there is no such container. */
  async findContainer(idOrName: string, signal?: AbortSignal): Promise<ContainerInspect | undefined> {
    try {
      return await this.inspectContainer(idOrName, signal);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async createContainer(name: string, body: ContainerCreateBody, signal?: AbortSignal): Promise<string> {
    const created = await this.json<{ Id: string }>('POST', '/containers/create', {
      query: { name },
      body,
      signal,
    });
    return created.Id;
  }

  async startContainer(id: string, signal?: AbortSignal): Promise<void> {
    await this.json('POST', `/containers/${encodeURIComponent(id)}/start`, { signal, accept: [304] });
  }

  async stopContainer(id: string, timeoutSeconds?: number, signal?: AbortSignal): Promise<void> {
    await this.json('POST', `/containers/${encodeURIComponent(id)}/stop`, {
      query: { t: timeoutSeconds },
      signal,
      accept: [304],
    });
  }

  async renameContainer(id: string, name: string, signal?: AbortSignal): Promise<void> {
    await this.json('POST', `/containers/${encodeURIComponent(id)}/rename`, { query: { name }, signal });
  }

  async removeContainer(
    id: string,
    options: { force?: boolean; volumes?: boolean } = {},
    signal?: AbortSignal,
  ): Promise<void> {
    await this.json('DELETE', `/containers/${encodeURIComponent(id)}`, {
      query: { force: options.force ?? false, v: options.volumes ?? false },
      signal,
    });
  }

  async connectNetwork(
    network: string,
    container: string,
    endpoint: EndpointSettings,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.json('POST', `/networks/${encodeURIComponent(network)}/connect`, {
      body: { Container: container, EndpointConfig: endpoint },
      signal,
    });
  }

  async removeVolume(name: string, signal?: AbortSignal): Promise<void> {
    await this.json('DELETE', `/volumes/${encodeURIComponent(name)}`, { signal });
  }

  // ----- images

  inspectImage(reference: string, signal?: AbortSignal): Promise<ImageInspect> {
    return this.json('GET', `/images/${encodeURIComponent(reference)}/json`, { signal });
  }

  async findImage(reference: string, signal?: AbortSignal): Promise<ImageInspect | undefined> {
    try {
      return await this.inspectImage(reference, signal);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  /**
   * Pulls `image:tag` (or `image@digest`). The engine answers 200 and then reports failures as JSON lines
   * in the progress stream: those are failures too (a missing tag → NotFoundError).
   */
  async pullImage(
    reference: { image: string; tag?: string; digest?: string },
    auth?: { serverAddress: string; credentials: RegistryCredentials },
    signal?: AbortSignal,
  ): Promise<void> {
    const headers: Record<string, string> = {};
    if (auth) headers['x-registry-auth'] = registryAuthHeader(auth.serverAddress, auth.credentials);
    const fromImage = reference.digest ? `${reference.image}@${reference.digest}` : reference.image;
    const tag = reference.digest ? undefined : (reference.tag ?? 'latest');
    const response = await this.request('POST', '/images/create', {
      query: { fromImage, tag },
      headers,
      signal,
    });
    const text = await response.body.text();
    const error = pullStreamError(text);
    if (error) {
      const what = `pull of ${fromImage}${tag ? `:${tag}` : ''} failed: ${error}`;
      if (/not found|manifest unknown|does not exist|no such/i.test(error)) throw new NotFoundError(what);
      if (/unauthorized|authentication required|denied/i.test(error)) {
        throw new ExternalHostError(this.host, what, {
          transient: false,
          hint: 'check the registry credentials in the config',
        });
      }
      throw new ExternalHostError(this.host, what);
    }
  }

  /** Tags an image locally (POST /images/{name}/tag). */
  async tagImage(reference: string, repository: string, tag: string, signal?: AbortSignal): Promise<void> {
    await this.json('POST', `/images/${encodeURIComponent(reference)}/tag`, {
      query: { repo: repository, tag },
      signal,
    });
  }

  async removeImage(reference: string, signal?: AbortSignal): Promise<void> {
    await this.json('DELETE', `/images/${encodeURIComponent(reference)}`, { signal });
  }

  // ----- exec

  /**
   * Runs `command` (an argument vector, no shell) in a running container and returns its exit code and
   * output. The deadline aborts the wait; the process may still be running inside the container then.
   */
  async exec(
    container: string,
    command: string[],
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<ExecOutput> {
    const signals = [
      options.signal,
      options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined,
    ].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length ? AbortSignal.any(signals) : undefined;
    const created = await this.json<{ Id: string }>(
      'POST',
      `/containers/${encodeURIComponent(container)}/exec`,
      {
        body: { AttachStdout: true, AttachStderr: true, AttachStdin: false, Tty: false, Cmd: command },
        signal,
      },
    );
    const started = await this.request('POST', `/exec/${created.Id}/start`, {
      body: { Detach: false, Tty: false },
      signal,
    });
    const output = demultiplex(Buffer.from(await started.body.arrayBuffer()));
    // The stream can end a moment before the engine records the exit code.
    for (let attempt = 0; ; attempt++) {
      const inspect = await this.json<ExecInspect>('GET', `/exec/${created.Id}/json`, { signal });
      if (!inspect.Running && inspect.ExitCode !== null) return { exitCode: inspect.ExitCode, ...output };
      if (attempt >= 50) return { exitCode: inspect.ExitCode ?? -1, ...output };
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  // ----- plumbing

  private async json<T>(
    method: Dispatcher.HttpMethod,
    path: string,
    options: RequestOptions = {},
    versioned = true,
  ): Promise<T> {
    const response = await this.request(method, path, options, versioned);
    const text = await response.body.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      return text as T;
    }
  }

  private async request(
    method: Dispatcher.HttpMethod,
    path: string,
    options: RequestOptions = {},
    versioned = true,
  ): Promise<Dispatcher.ResponseData> {
    const prefix = versioned ? `/v${await this.apiVersion(options.signal)}` : '';
    const response = await this.raw(method, `${prefix}${path}`, options);
    if (response.statusCode < 300 || options.accept?.includes(response.statusCode)) return response;
    const text = await response.body.text().catch(() => '');
    let message = text.trim();
    try {
      const parsed = JSON.parse(text) as { message?: string; cause?: string };
      message = parsed.message ?? parsed.cause ?? message;
    } catch {
      // plain-text error body
    }
    const what = `Docker ${method} ${path}: ${message || `HTTP ${response.statusCode}`}`;
    // podman sometimes answers a container removed mid-request with 500 "no such container".
    if (response.statusCode === 404 || /no such container|does not exist in database/i.test(message)) {
      throw new NotFoundError(what);
    }
    // podman answers a name clash with 500 where Docker says 409.
    if (response.statusCode === 409 || /already in use|is in use by/i.test(message))
      throw new ConflictError(what);
    if (response.statusCode >= 500) throw new ExternalHostError(this.host, what);
    throw new SafeUpdaterError(what);
  }

  private async raw(
    method: Dispatcher.HttpMethod,
    path: string,
    options: RequestOptions,
  ): Promise<Dispatcher.ResponseData> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) search.set(key, String(value));
    }
    const query = search.toString();
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    try {
      return await this.pool.request({
        method,
        path: query ? `${path}?${query}` : path,
        headers,
        body,
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      throw new ExternalHostError(
        this.host,
        `Docker engine at ${this.host} unreachable: ${errorMessage(error)}`,
        {
          cause: error,
          hint: 'is the Docker (or podman) service running, and is docker.host in the config right?',
        },
      );
    }
  }
}
