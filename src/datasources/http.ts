/**
 * HTTP for datasources: one request with a deadline, retried with exponential backoff and full jitter on
 * what may pass (429 honouring Retry-After, 500/502/503/504, resets, refused connections, timeouts). When
 * the retries run out the caller gets an ExternalHostError naming the host and the last failure — never an
 * empty answer. Bodies are read inside the deadline, so a registry that stalls mid-body is a timeout too.
 */
import { ExternalHostError, errorMessage } from '../core/errors.js';
import { systemClock, type Clock } from '../core/clock.js';

export interface HttpOptions {
  /** Retries after the first attempt. */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Deadline of one attempt, headers and body. */
  timeoutMs: number;
  /** A Retry-After longer than this is not waited for: the lookup fails at once. */
  maxRetryAfterMs: number;
  clock: Clock;
  random: () => number;
  fetch: typeof fetch;
  /** Called once per request sent (for request counting in benchmarks and tests). */
  onRequest?: (method: string, url: string) => void;
  /** Called once per attempt with the answer's status, or 'error' when none came (the daemon's metrics). */
  onResponse?: (host: string, status: number | 'error') => void;
}

export const defaultHttpOptions: HttpOptions = {
  retries: 3,
  baseDelayMs: 250,
  maxDelayMs: 5_000,
  timeoutMs: 15_000,
  maxRetryAfterMs: 60_000,
  clock: systemClock,
  random: Math.random,
  fetch: (input, init) => fetch(input, init),
};

export interface HttpAnswer {
  status: number;
  statusText: string;
  headers: Headers;
  /** The body as text; '' for HEAD. */
  body: string;
  url: string;
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);

/** Retry-After in milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now: Date): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/** Exponential backoff with jitter: between half and all of base·2^attempt, capped. */
export function backoffDelay(
  attempt: number,
  options: Pick<HttpOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (ceiling / 2) * options.random());
}

function describeFailure(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return 'timed out';
  const cause =
    error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return errorMessage(error);
}

/**
 * Sends one request, retrying transient failures. Statuses other than 429/5xx come back to the caller
 * (404 and 401 mean something specific to each datasource).
 */
export async function httpRequest(
  host: string,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
  options: HttpOptions,
  signal?: AbortSignal,
): Promise<HttpAnswer> {
  const method = init.method ?? 'GET';
  let lastFailure = '';
  for (let attempt = 0; ; attempt++) {
    let retryAfterMs: number | undefined;
    const deadline = AbortSignal.timeout(options.timeoutMs);
    const attemptSignal = signal ? AbortSignal.any([signal, deadline]) : deadline;
    try {
      options.onRequest?.(method, url);
      const response = await options.fetch(url, {
        method,
        headers: init.headers,
        body: init.body,
        signal: attemptSignal,
        redirect: 'follow',
      });
      const body = method === 'HEAD' ? '' : await response.text();
      options.onResponse?.(host, response.status);
      if (!RETRY_STATUS.has(response.status)) {
        return {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
          body,
          url: response.url || url,
        };
      }
      lastFailure = `${response.status} ${response.statusText}`.trim();
      retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), options.clock.now());
      if (retryAfterMs !== undefined && retryAfterMs > options.maxRetryAfterMs) {
        throw new ExternalHostError(
          host,
          `${host} is rate limiting (${lastFailure}); it asks to retry after ${Math.round(retryAfterMs / 1000)} s`,
          {
            hint: 'try again later, or authenticate to get a higher rate limit',
          },
        );
      }
    } catch (error) {
      if (error instanceof ExternalHostError) throw error;
      if (signal?.aborted) throw signal.reason;
      options.onResponse?.(host, 'error');
      lastFailure = describeFailure(error);
    }
    if (attempt >= options.retries) {
      throw new ExternalHostError(
        host,
        `${host} failed: ${method} ${new URL(url).pathname} → ${lastFailure} (after ${attempt + 1} attempts)`,
        {
          hint: 'the host may be down or overloaded; this is not "no update available" — retry later',
        },
      );
    }
    const delay = Math.max(retryAfterMs ?? 0, backoffDelay(attempt, options));
    await options.clock.sleep(delay, signal);
  }
}
