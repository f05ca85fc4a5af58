/**
 * HTTP health check: one request, its answer judged against the expected status and body. A connection
 * problem, a timeout, 408, 429 or 5xx may pass and is transient; any other unexpected status (a 4xx, a
 * redirect) or a body that does not match is a definite wrong answer and permanent.
 */
import { Agent, request } from 'undici';
import { errorMessage } from '../../core/errors.js';
import type { CheckOutcome } from '../retry.js';

export interface HttpCheckOptions {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Accepted status codes; any 2xx when empty. */
  expectStatus?: number[];
  /** A substring the body must contain, or /regex/ (flags after the closing slash). */
  expectBody?: string;
  timeoutMs: number;
  /** PEM bundle trusted for https in addition to nothing else (a private CA). */
  ca?: string | Buffer;
  insecureSkipVerify?: boolean;
  signal?: AbortSignal;
}

/** Error codes of a TLS answer that will be the same next time: the certificate is wrong, not late. */
const PERMANENT_TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const TRANSIENT_STATUS = new Set([408, 425, 429]);

export function bodyMatches(body: string, expected: string): boolean {
  const regex = /^\/(.*)\/([a-z]*)$/s.exec(expected);
  if (regex) return new RegExp(regex[1] ?? '', regex[2]).test(body);
  return body.includes(expected);
}

function statusAccepted(status: number, expected: number[] | undefined): boolean {
  if (!expected || expected.length === 0) return status >= 200 && status < 300;
  return expected.includes(status);
}

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return undefined;
}

export async function checkHttp(options: HttpCheckOptions): Promise<CheckOutcome> {
  const method = (options.method ?? 'GET').toUpperCase();
  const agent = new Agent({
    connect: { ca: options.ca, rejectUnauthorized: !options.insecureSkipVerify, timeout: options.timeoutMs },
  });
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const response = await request(options.url, {
      method: method as 'GET',
      headers: options.headers,
      body: options.body,
      dispatcher: agent,
      signal,
    });
    const text = await response.body.text();
    const status = response.statusCode;
    if (!statusAccepted(status, options.expectStatus)) {
      const expected = options.expectStatus?.length ? options.expectStatus.join('|') : '2xx';
      return {
        ok: false,
        transient: status >= 500 || TRANSIENT_STATUS.has(status),
        message: `${method} ${options.url}: status ${status}, expected ${expected}`,
      };
    }
    if (options.expectBody !== undefined && !bodyMatches(text, options.expectBody)) {
      return {
        ok: false,
        transient: false,
        message: `${method} ${options.url}: body does not match ${JSON.stringify(options.expectBody)} (got ${JSON.stringify(text.slice(0, 80))})`,
      };
    }
    return { ok: true, message: `${method} ${options.url}: status ${status}` };
  } catch (error) {
    const code = errorCode(error);
    if (timeout.aborted) {
      return {
        ok: false,
        transient: true,
        message: `${method} ${options.url}: no answer within ${options.timeoutMs} ms`,
      };
    }
    return {
      ok: false,
      transient: code === undefined || !PERMANENT_TLS_CODES.has(code),
      message: `${method} ${options.url}: ${code ? `${code} ` : ''}${errorMessage(error)}`,
    };
  } finally {
    await agent.close().catch(() => undefined);
  }
}
