/**
 * The http and tcp checks against real servers on loopback: answers the checks must accept, definite wrong
 * answers (permanent, never retried), and failures that may pass (transient, retried with backoff).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
  type Server,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import type { Asset, HealthCheckSpec } from '../../src/core/model.js';
import { createHealthChecker } from '../../src/health/checker.js';
import { checkHttp } from '../../src/health/checks/http.js';

const asset: Asset = {
  id: 'helm/health/web',
  kind: 'helm',
  name: 'web',
  namespace: 'health',
  current: { version: '1.0.0' },
  labels: {},
  annotations: {},
  policy: 'minor',
  healthChecks: [],
};

function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

function close(server: { close(callback: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port that was free a moment ago: nothing listens there. */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  const port = await listen(server);
  await close(server);
  return port;
}

let flakyCalls = 0;
function routes(request: IncomingMessage, response: ServerResponse): void {
  switch (request.url) {
    case '/healthz':
      response.end('ok version=1.1.0');
      return;
    case '/missing':
      response.statusCode = 404;
      response.end('not found');
      return;
    case '/broken':
      response.statusCode = 500;
      response.end('boom');
      return;
    case '/flaky':
      flakyCalls += 1;
      response.statusCode = flakyCalls <= 2 ? 503 : 200;
      response.end(flakyCalls <= 2 ? 'starting' : 'ready');
      return;
    case '/hang':
      return; // never answers
    case '/echo-method':
      response.end(`${request.method ?? ''} ${request.headers['x-probe'] ?? ''}`);
      return;
  }
}

describe('http and tcp health checks on loopback', () => {
  const http = createHttpServer(routes);
  let base = '';
  const tcp = createTcpServer((socket) => socket.end());
  let tcpPort = 0;
  const checker = createHealthChecker({
    clock: systemClock,
    defaults: { retries: 3, intervalMs: 50, timeoutMs: 2_000 },
  });

  beforeAll(async () => {
    base = `http://127.0.0.1:${await listen(http)}`;
    tcpPort = await listen(tcp);
  });
  afterAll(async () => {
    http.closeAllConnections();
    await Promise.all([close(http), close(tcp)]);
  });

  const httpSpec = (
    path: string,
    extra: Partial<Extract<HealthCheckSpec, { type: 'http' }>> = {},
  ): HealthCheckSpec => ({
    name: `http${path}`,
    type: 'http',
    url: `${base}${path}`,
    ...extra,
  });

  it('accepts a 2xx answer whose body matches', async () => {
    const report = await checker.run(httpSpec('/healthz', { expectBody: 'version=1.1.0' }), asset);
    expect(report).toMatchObject({ ok: true, attempts: 1 });
  });

  it('matches a body by /regex/', async () => {
    expect(
      (await checker.run(httpSpec('/healthz', { expectBody: '/version=1\\.\\d+\\.0$/' }), asset)).ok,
    ).toBe(true);
  });

  it('sends the method and headers it is given', async () => {
    const spec = httpSpec('/echo-method', {
      method: 'post',
      headers: { 'x-probe': 'yes' },
      expectBody: 'POST yes',
    });
    expect((await checker.run(spec, asset)).ok).toBe(true);
  });

  it('fails permanently, without retries, on a body that does not match', async () => {
    const report = await checker.run(httpSpec('/healthz', { expectBody: 'version=1.2.0' }), asset);
    expect(report).toMatchObject({ ok: false, transient: false, attempts: 1 });
    expect(report.message).toContain('body does not match');
  });

  it('fails permanently, without retries, on a 4xx', async () => {
    const report = await checker.run(httpSpec('/missing'), asset);
    expect(report).toMatchObject({ ok: false, transient: false, attempts: 1 });
    expect(report.message).toContain('status 404');
  });

  it('fails permanently on a status outside expectStatus', async () => {
    const report = await checker.run(httpSpec('/healthz', { expectStatus: [204] }), asset);
    expect(report).toMatchObject({ ok: false, transient: false });
  });

  it('retries a 5xx and reports it transient after the retries', async () => {
    const report = await checker.run(httpSpec('/broken', { retries: 2 }), asset);
    expect(report).toMatchObject({ ok: false, transient: true, attempts: 3 });
  });

  it('recovers when a service answers 503 while starting and 200 afterwards', async () => {
    flakyCalls = 0;
    const report = await checker.run(httpSpec('/flaky', { retries: 4 }), asset);
    expect(report).toMatchObject({ ok: true, attempts: 3 });
  });

  it('treats connection refused as transient and retries it', async () => {
    const port = await closedPort();
    const report = await checker.run(
      { name: 'refused', type: 'http', url: `http://127.0.0.1:${port}/`, retries: 2 },
      asset,
    );
    expect(report).toMatchObject({ ok: false, transient: true, attempts: 3 });
    expect(report.message).toContain('ECONNREFUSED');
  });

  it('times out a server that never answers, transiently', async () => {
    const outcome = await checkHttp({ url: `${base}/hang`, timeoutMs: 300 });
    expect(outcome).toMatchObject({ ok: false, transient: true });
    expect(outcome.ok ? '' : outcome.message).toContain('no answer within 300 ms');
  });

  it('connects to a listening tcp port and reports a closed one as transient', async () => {
    expect(
      (await checker.run({ name: 'tcp', type: 'tcp', host: '127.0.0.1', port: tcpPort }, asset)).ok,
    ).toBe(true);
    const port = await closedPort();
    const report = await checker.run(
      { name: 'tcp-closed', type: 'tcp', host: '127.0.0.1', port, retries: 1 },
      asset,
    );
    expect(report).toMatchObject({ ok: false, transient: true, attempts: 2 });
  });

  it('runs exec checks only with an executor, and says so', async () => {
    const report = await checker.run({ name: 'exec', type: 'exec', command: ['true'] }, asset);
    expect(report).toMatchObject({ ok: false, transient: false });
    expect(report.message).toContain('exec checks are not available');
  });
});

describe('https checks with a private CA', () => {
  const dir = mkdtempSync(join(tmpdir(), 'su-tls-'));
  let url = '';
  let ca = '';
  let server: ReturnType<typeof createHttpsServer> | undefined;

  beforeAll(async () => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
    server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: ca }, (_req, res) =>
      res.end('secure'),
    );
    url = `https://127.0.0.1:${await listen(server)}/`;
  });
  afterAll(async () => {
    if (server) await close(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an untrusted certificate permanently', async () => {
    const outcome = await checkHttp({ url, timeoutMs: 2_000 });
    expect(outcome).toMatchObject({ ok: false, transient: false });
  });

  it('trusts the certificate through a custom CA', async () => {
    expect(await checkHttp({ url, timeoutMs: 2_000, ca, expectBody: 'secure' })).toMatchObject({ ok: true });
  });

  it('accepts it with insecureSkipVerify', async () => {
    expect(await checkHttp({ url, timeoutMs: 2_000, insecureSkipVerify: true })).toMatchObject({ ok: true });
  });
});
