/**
 * POST /hooks/registry: registries announce pushes (./registry-events.ts) and the daemon checks the named
 * repository at once instead of at the next poll. Never unauthenticated — at least one of:
 * - a shared secret, in `X-Webhook-Secret`, `Authorization: Bearer SECRET` (Distribution's `headers` and
 *   Harbor's auth header can set these) or `?secret=` (Docker Hub cannot set headers, only the URL);
 * - an HMAC-SHA256 signature of the raw body in `X-Hub-Signature-256` or `X-Signature-256` (`sha256=HEX`).
 * Secrets are compared in constant time. `onImagePushed` should only schedule work: registries time out
 * their webhook calls after a few seconds.
 */
import type { FastifyInstance } from 'fastify';
import { ConfigError, UsageError, errorMessage } from '../core/errors.js';
import { bearerToken, hmacMatches, secretsEqual } from './auth.js';
import { parseRegistryEvent, type ImagePushed } from './registry-events.js';

export interface RegistryHookOptions {
  secret?: string;
  hmacSecret?: string;
  onImagePushed: (push: ImagePushed) => void | Promise<void>;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export async function registerRegistryHooks(
  hooks: FastifyInstance,
  options: RegistryHookOptions,
): Promise<void> {
  if (!options.secret && !options.hmacSecret) {
    throw new ConfigError('the registry webhook needs a shared secret or an HMAC secret');
  }
  // The HMAC covers the exact bytes sent, so the body is kept raw and parsed here.
  hooks.removeAllContentTypeParsers();
  hooks.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  hooks.post('/registry', async (request, reply) => {
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const given =
      header(request.headers['x-webhook-secret']) ??
      bearerToken(request.headers.authorization) ??
      (request.query as Record<string, string | undefined>).secret;
    const signature =
      header(request.headers['x-hub-signature-256']) ?? header(request.headers['x-signature-256']);
    const bySecret =
      options.secret !== undefined && given !== undefined && secretsEqual(given, options.secret);
    const bySignature =
      options.hmacSecret !== undefined &&
      signature !== undefined &&
      hmacMatches(raw, signature, options.hmacSecret);
    if (!bySecret && !bySignature) {
      return reply.status(401).send({ error: 'a valid webhook secret or signature is required' });
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (error) {
      throw new UsageError(`the body is not JSON: ${errorMessage(error)}`);
    }
    const pushes = parseRegistryEvent(body);
    if (pushes === undefined) {
      throw new UsageError(
        'not a registry notification (Distribution, Docker Hub, Harbor or {repository, tag})',
      );
    }
    const results = await Promise.allSettled(pushes.map(async (push) => options.onImagePushed(push)));
    for (const result of results) {
      if (result.status === 'rejected') request.log.warn({ err: result.reason }, 'image push handler failed');
    }
    return reply.status(202).send({ accepted: pushes.length, pushes });
  });
}
