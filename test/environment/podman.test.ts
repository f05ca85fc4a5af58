import { afterAll, describe, expect, it } from 'vitest';
import { loadEnvironment } from '../support/env.js';
import { freePort, socketRequest, uniqueName, waitFor } from './support.js';

const env = loadEnvironment();
const socket = env.docker.socket;
const repo = env.fixtures.imageRepository;
const created: string[] = [];

/** X-Registry-Auth as the Docker API expects it: base64 JSON credentials. */
function registryAuth(username: string, password: string, serveraddress: string): string {
  return Buffer.from(JSON.stringify({ username, password, serveraddress })).toString('base64');
}

/** POST /images/create streams JSON lines; a failed pull reports `error` in them, not in the status code. */
async function pull(image: string, tag: string, auth?: string): Promise<{ ok: boolean; body: string }> {
  const res = await socketRequest(
    socket,
    'POST',
    `/v1.41/images/create?fromImage=${encodeURIComponent(image)}&tag=${encodeURIComponent(tag)}`,
    { headers: auth ? { 'x-registry-auth': auth } : {} },
  );
  return { ok: res.status === 200 && !/"error"/i.test(res.body), body: res.body };
}

async function inspect(name: string): Promise<{ State: { Running: boolean; Health?: { Status: string } } }> {
  const res = await socketRequest(socket, 'GET', `/v1.41/containers/${name}/json`);
  expect(res.status).toBe(200);
  return JSON.parse(res.body) as { State: { Running: boolean; Health?: { Status: string } } };
}

async function runWebContainer(image: string): Promise<{ name: string; port: number }> {
  const name = uniqueName('env-web');
  const port = await freePort();
  const create = await socketRequest(socket, 'POST', `/v1.41/containers/create?name=${name}`, {
    body: {
      Image: image,
      Labels: { 'safe-updater.test': 'environment' },
      ExposedPorts: { '8080/tcp': {} },
      HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
    },
  });
  expect(create.status, create.body).toBe(201);
  created.push(name);
  const start = await socketRequest(socket, 'POST', `/v1.41/containers/${name}/start`);
  expect(start.status, start.body).toBe(204);
  return { name, port };
}

describe("podman's Docker API", () => {
  afterAll(async () => {
    for (const name of created) {
      await socketRequest(socket, 'DELETE', `/v1.41/containers/${name}?force=true`).catch(() => undefined);
    }
  });

  it('answers the Docker ping', async () => {
    const res = await socketRequest(socket, 'GET', '/_ping');
    expect(res.status).toBe(200);
    expect(res.body).toBe('OK');
  });

  it('runs a container from the local registry that answers HTTP with its version and turns healthy', async () => {
    const image = `${env.registries.anonymous.host}/${repo}`;
    const pulled = await pull(image, '1.1.0');
    expect(pulled.ok, pulled.body).toBe(true);
    const { name, port } = await runWebContainer(`${image}:1.1.0`);
    const answer = await waitFor(`HTTP answer of ${name} on :${port}`, async () => {
      const res = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
      return res?.status === 200 ? res.text() : undefined;
    });
    expect(answer.trim()).toBe('demo-app 1.1.0');
    // Health states like Docker's: the environment's scheduler runs the image's HEALTHCHECK.
    const health = await waitFor(`${name} healthy`, async () => {
      const status = (await inspect(name)).State.Health?.Status;
      return status === 'healthy' ? status : undefined;
    });
    expect(health).toBe('healthy');
  });

  it('marks the -unready image unhealthy', async () => {
    const image = `${env.registries.anonymous.host}/${repo}`;
    expect((await pull(image, '1.2.0-unready')).ok).toBe(true);
    const { name } = await runWebContainer(`${image}:1.2.0-unready`);
    const health = await waitFor(`${name} unhealthy`, async () => {
      const status = (await inspect(name)).State.Health?.Status;
      return status === 'unhealthy' ? status : undefined;
    });
    expect(health).toBe('unhealthy');
  });

  it('pulls with credentials from the token registry and fails to pull the -pullerror tag', async () => {
    const { host, username, password } = env.registries.token;
    const auth = registryAuth(username, password, host);
    const good = await pull(`${host}/${repo}`, '1.0.1', auth);
    expect(good.ok, good.body).toBe(true);
    const broken = await pull(`${host}/${repo}`, '1.2.0-pullerror', auth);
    expect(broken.ok).toBe(false);
  });

  it('sees the -crashloop image exit with code 1', async () => {
    const image = `${env.registries.anonymous.host}/${repo}`;
    expect((await pull(image, '1.2.0-crashloop')).ok).toBe(true);
    const { name } = await runWebContainer(`${image}:1.2.0-crashloop`);
    const exitCode = await waitFor(`${name} exited`, async () => {
      const res = await socketRequest(socket, 'GET', `/v1.41/containers/${name}/json`);
      const state = (
        JSON.parse(res.body) as { State: { Running: boolean; Status: string; ExitCode: number } }
      ).State;
      return !state.Running && state.Status === 'exited' ? state.ExitCode : undefined;
    });
    expect(exitCode).toBe(1);
  });
});
