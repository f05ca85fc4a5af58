/**
 * Secrets compared in constant time. Both sides are hashed first so that `timingSafeEqual` sees equal
 * lengths and the comparison time says nothing about the secret's length either.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

function digest(value: string | Buffer): Buffer {
  return createHash('sha256').update(value).digest();
}

export function secretsEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** True when `given` equals one of `expected`; every candidate is compared, so timing is the same. */
export function matchesAny(given: string, expected: readonly string[]): boolean {
  let found = false;
  for (const candidate of expected) found = secretsEqual(given, candidate) || found;
  return found;
}

/** The token of an `Authorization: Bearer TOKEN` header. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** Answers 401 (and returns the reply) unless the request carries one of the bearer tokens. */
export function refuseWithoutToken(
  request: FastifyRequest,
  reply: FastifyReply,
  tokens: readonly string[],
): FastifyReply | undefined {
  const token = bearerToken(request.headers.authorization);
  if (token !== undefined && matchesAny(token, tokens)) return undefined;
  return reply
    .status(401)
    .header('www-authenticate', 'Bearer realm="safe-updater"')
    .send({ error: 'a valid bearer token is required' });
}

/** HMAC-SHA256 of the raw body, as `sha256=HEX` (GitHub's X-Hub-Signature-256 form) or bare hex. */
export function hmacMatches(body: Buffer, signature: string, secret: string): boolean {
  const hex = signature
    .replace(/^sha256=/i, '')
    .trim()
    .toLowerCase();
  const expected = createHmac('sha256', secret).update(body).digest('hex');
  return secretsEqual(hex, expected);
}
