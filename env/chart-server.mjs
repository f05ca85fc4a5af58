// Static HTTP server for the chart repositories (index.yaml + chart .tgz files), optionally behind HTTP basic
// auth: `helm repo add --username/--password` and safe-updater's helm-repo datasource must present it.
// Usage: node env/chart-server.mjs --port 8879 --dir DIR [--username U --password P]. No dependencies.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { Buffer } from 'node:buffer';
import console from 'node:console';
import process from 'node:process';
import { URL } from 'node:url';

const { values: opts } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    dir: { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
  },
});
const root = normalize(opts.dir);
const expected = opts.username
  ? `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64')}`
  : undefined;
const types = { '.yaml': 'application/x-yaml', '.tgz': 'application/gzip', '.prov': 'text/plain' };

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://chart-repo');
  if (url.pathname === '/healthz') return res.writeHead(200).end('ok\n');
  if (expected && req.headers.authorization !== expected) {
    return res.writeHead(401, { 'www-authenticate': 'Basic realm="charts"' }).end('unauthorized\n');
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return res.writeHead(405).end();
  const path = normalize(join(root, decodeURIComponent(url.pathname)));
  if (path !== root && !path.startsWith(root + sep)) return res.writeHead(403).end();
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) return res.writeHead(404).end('not found\n');
  res.writeHead(200, {
    'content-type': types[extname(path)] ?? 'application/octet-stream',
    'content-length': info.size,
    'last-modified': info.mtime.toUTCString(),
  });
  if (req.method === 'HEAD') return res.end();
  createReadStream(path).pipe(res);
});

server.listen(Number(opts.port), opts.host, () => {
  console.log(
    `chart repository ${root} on http://${opts.host}:${opts.port}${expected ? ' (basic auth)' : ''}`,
  );
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
