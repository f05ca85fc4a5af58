/**
 * A loopback HTTP proxy of ours in front of a real registry or chart repository that injects faults:
 * fixed statuses (429 with Retry-After, 500, 503), connection resets, slow answers, and its own `Link`
 * pagination of tag lists. Every request is logged, so tests can count what a client really sent.
 *
 *   const proxy = await startFaultProxy('http://127.0.0.1:5001');
 *   proxy.inject({ path: /tags\/list/, fault: { status: 429, retryAfter: 0 }, times: 2 });
 *   ... point a client at proxy.host ...
 *   await proxy.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  | { status: number; retryAfter?: number; body?: string }
  /** Closes the connection with a TCP RST before any answer. */
  | { reset: true }
  /** Waits this long before answering (normally). */
  | { delayMs: number }
  /** Answers tag lists in pages of this size with a relative `Link: <…>; rel="next"`. */
  | { pageSize: number };

export interface FaultRule {
  /** Matched against the request path with query. */
  path: RegExp;
  method?: string;
  fault: Fault;
  /** How many matching requests it applies to; Infinity when absent. */
  times?: number;
}

export interface LoggedRequest {
  method: string;
  path: string;
  /** The fault applied, or 'forwarded'. */
  outcome: string;
}

export interface FaultProxy {
  /** host:port of the proxy, to use as a registry host. */
  host: string;
  url: string;
  requests: LoggedRequest[];
  inject(rule: FaultRule): void;
  clearFaults(): void;
  close(): Promise<void>;
}

async function forward(
  upstream: string,
  request: IncomingMessage,
  body: Buffer,
  path = request.url ?? '/',
): Promise<Response> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || name === 'host' || name === 'connection' || name === 'content-length')
      continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return fetch(`${upstream}${path}`, {
    method: request.method ?? 'GET',
    headers,
    ...(body.length > 0 ? { body } : {}),
    redirect: 'manual',
  });
}

async function relay(response: Response, target: ServerResponse, method: string): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'content-encoding' && name !== 'transfer-encoding' && name !== 'connection')
      headers[name] = value;
  });
  const body = method === 'HEAD' ? Buffer.alloc(0) : Buffer.from(await response.arrayBuffer());
  if (method !== 'HEAD') headers['content-length'] = String(body.length);
  target.writeHead(response.status, headers);
  target.end(body);
}

/** Serves one page of the upstream's full tag list, after `last`, with a relative Link to the next page. */
async function page(
  upstream: string,
  request: IncomingMessage,
  body: Buffer,
  size: number,
  target: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://proxy');
  const last = url.searchParams.get('last');
  const full = new URL(url.toString());
  full.searchParams.delete('last');
  full.searchParams.set('n', '100000');
  const all = await forward(upstream, request, body, `${full.pathname}${full.search}`);
  if (all.status !== 200) {
    await relay(all, target, 'GET');
    return;
  }
  const document = (await all.json()) as { name: string; tags: string[] };
  const tags = [...document.tags].sort();
  const start = last === null ? 0 : tags.findIndex((t) => t > last);
  const slice = start < 0 ? [] : tags.slice(start, start + size);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const lastTag = slice[slice.length - 1];
  if (lastTag !== undefined && start + size < tags.length) {
    headers.link = `<${url.pathname}?n=${size}&last=${encodeURIComponent(lastTag)}>; rel="next"`;
  }
  target.writeHead(200, headers);
  target.end(JSON.stringify({ name: document.name, tags: slice }));
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const rules: (FaultRule & { used: number })[] = [];
  const requests: LoggedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const method = request.method ?? 'GET';
      const path = request.url ?? '/';
      const rule = rules.find(
        (r) => r.path.test(path) && (!r.method || r.method === method) && r.used < (r.times ?? Infinity),
      );
      if (rule) rule.used++;
      const fault = rule?.fault;
      const log = (outcome: string): void => {
        requests.push({ method, path, outcome });
      };
      const body = Buffer.concat(chunks);
      const fail = (error: unknown): void => {
        if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
        response.end(`fault proxy: upstream failed: ${String(error)}`);
      };
      if (!fault) {
        log('forwarded');
        forward(upstream, request, body)
          .then((answer) => relay(answer, response, method))
          .catch(fail);
      } else if ('status' in fault) {
        log(`status ${fault.status}`);
        const headers: Record<string, string> = { 'content-type': 'text/plain' };
        if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
        response.writeHead(fault.status, headers);
        response.end(fault.body ?? `injected ${fault.status}`);
      } else if ('reset' in fault) {
        log('reset');
        request.socket.resetAndDestroy();
      } else if ('delayMs' in fault) {
        log(`delay ${fault.delayMs}`);
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (request.socket.destroyed) return;
          forward(upstream, request, body)
            .then((answer) => relay(answer, response, method))
            .catch(fail);
        }, fault.delayMs);
        timers.add(timer);
      } else {
        log(`page ${fault.pageSize}`);
        page(upstream, request, body, fault.pageSize, response).catch(fail);
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    requests,
    inject: (rule) => rules.push({ ...rule, used: 0 }),
    clearFaults: () => {
      rules.length = 0;
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
