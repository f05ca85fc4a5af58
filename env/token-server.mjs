// Bearer-token server for the token-auth registry (Distribution's `auth.token`): the flow Docker Hub, GHCR
// and Harbor use. A client that gets `401 WWW-Authenticate: Bearer realm=…,service=…,scope=…` from the
// registry asks us for a token with basic credentials:
//   GET  /token?service=S&scope=repository:NAME:pull,push[&scope=…]         (Docker token spec)
//   POST /token  grant_type=password&username=…&password=…&service=…&scope=…  (OAuth2 form, used by oras/helm)
// and gets `{ token, access_token, expires_in, issued_at }`, an RS256 JWT signed with the key of a
// self-signed certificate whose DER rides in the header's `x5c` (Distribution checks it against
// `rootcertbundle`). Anonymous or wrong credentials get 401: the repository is private.
// Usage: node env/token-server.mjs --port 5004 --key k.pem --cert c.pem --issuer I --service S --users FILE
// (FILE: one `user:password` a line). No dependencies: Node's crypto signs.
import { createPrivateKey, createSign, randomUUID, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Buffer } from 'node:buffer';
import console from 'node:console';
import process from 'node:process';
import { URL, URLSearchParams } from 'node:url';

const { values: opts } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    key: { type: 'string' },
    cert: { type: 'string' },
    issuer: { type: 'string' },
    service: { type: 'string' },
    users: { type: 'string' },
    ttl: { type: 'string', default: '300' },
  },
});

const key = createPrivateKey(readFileSync(opts.key));
const certDer = new X509Certificate(readFileSync(opts.cert)).raw.toString('base64');
const users = new Map(
  readFileSync(opts.users, 'utf8')
    .split('\n')
    .filter((line) => line.includes(':'))
    .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]),
);
const ttl = Number(opts.ttl);

const b64url = (buf) => Buffer.from(buf).toString('base64url');

function sign(subject, access) {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', x5c: [certDer] };
  const claims = {
    iss: opts.issuer,
    sub: subject,
    aud: opts.service,
    exp: now + ttl,
    nbf: now - 10,
    iat: now,
    jti: randomUUID(),
    access,
  };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = createSign('RSA-SHA256').update(input).sign(key);
  return `${input}.${b64url(signature)}`;
}

// `repository:library/app:pull,push` → { type, name, actions }. Names may contain ':' only in the type part
// of `repository(plugin):…`, so split on the first and last colon.
function parseScope(scope) {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last <= first) return undefined;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope
      .slice(last + 1)
      .split(',')
      .filter(Boolean),
  };
}

function credentialsFromHeader(header) {
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function reply(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
  if (url.pathname === '/healthz') return reply(res, 200, { ok: true });
  if (url.pathname !== '/token') return reply(res, 404, { error: 'not found' });

  let params = url.searchParams;
  let credentials = credentialsFromHeader(req.headers.authorization);
  if (req.method === 'POST') {
    params = new URLSearchParams(await readBody(req));
    const grant = params.get('grant_type');
    if (grant === 'password') {
      credentials = { username: params.get('username') ?? '', password: params.get('password') ?? '' };
    } else if (grant === 'refresh_token') {
      // Our refresh tokens are `user:password` in base64url: good enough for a loopback test server.
      const decoded = Buffer.from(params.get('refresh_token') ?? '', 'base64url').toString('utf8');
      const colon = decoded.indexOf(':');
      credentials = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
  } else if (req.method !== 'GET') {
    return reply(res, 405, { error: 'method not allowed' });
  }

  if (!credentials || users.get(credentials.username) !== credentials.password) {
    return reply(
      res,
      401,
      { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] },
      { 'www-authenticate': 'Basic realm="token-server"' },
    );
  }
  if (params.get('service') && params.get('service') !== opts.service) {
    return reply(res, 400, { error: `unknown service ${params.get('service')}` });
  }
  // Every authenticated user may do what it asks for (pull, push, delete, catalog): one tenant, test data.
  const access = params
    .getAll('scope')
    .flatMap((scope) => scope.split(' '))
    .map(parseScope)
    .filter(Boolean);
  const token = sign(credentials.username, access);
  const body = {
    token,
    access_token: token,
    expires_in: ttl,
    issued_at: new Date().toISOString(),
  };
  if (req.method === 'POST') {
    body.refresh_token = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64url');
  }
  return reply(res, 200, body);
});

server.listen(Number(opts.port), opts.host, () => {
  console.log(`token server on http://${opts.host}:${opts.port}/token (issuer ${opts.issuer})`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
