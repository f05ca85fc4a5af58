import { describe, expect, it } from 'vitest';
import { ExternalHostError } from '../core/errors.js';
import { ManualClock } from '../core/clock.js';
import { backoffDelay, defaultHttpOptions, httpRequest, parseRetryAfter, type HttpOptions } from './http.js';

/** A clock whose sleeps return at once but are recorded. */
function recordingClock(): { clock: HttpOptions['clock']; sleeps: number[] } {
  const sleeps: number[] = [];
  const manual = new ManualClock();
  return {
    sleeps,
    clock: {
      now: () => manual.now(),
      sleep: (ms) => {
        sleeps.push(ms);
        manual.advance(ms);
        return Promise.resolve();
      },
    },
  };
}

function scripted(answers: (Response | Error)[]): { fetch: typeof fetch; calls: () => number } {
  let calls = 0;
  return {
    calls: () => calls,
    fetch: () => {
      const answer = answers[Math.min(calls++, answers.length - 1)];
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve((answer as Response).clone());
    },
  };
}

function options(fetchFn: typeof fetch, clock: HttpOptions['clock']): HttpOptions {
  return { ...defaultHttpOptions, fetch: fetchFn, clock, random: () => 0.5, retries: 3 };
}

const reset = Object.assign(new TypeError('fetch failed'), {
  cause: { code: 'ECONNRESET', message: 'socket hang up' },
});

describe('httpRequest', () => {
  it('tells the observer every answer and every attempt that got none', async () => {
    const { clock } = recordingClock();
    const script = scripted([new Response('', { status: 503 }), reset, new Response('ok', { status: 200 })]);
    const seen: [string, number | 'error'][] = [];
    await httpRequest(
      'r:5000',
      'http://r/v2/',
      {},
      {
        ...options(script.fetch, clock),
        onResponse: (host, status) => seen.push([host, status]),
      },
    );
    expect(seen).toEqual([
      ['r:5000', 503],
      ['r:5000', 'error'],
      ['r:5000', 200],
    ]);
  });

  it('retries 503 and a reset, then answers', async () => {
    const { clock, sleeps } = recordingClock();
    const script = scripted([new Response('', { status: 503 }), reset, new Response('ok', { status: 200 })]);
    const answer = await httpRequest('r', 'http://r/v2/', {}, options(script.fetch, clock));
    expect(answer.body).toBe('ok');
    expect(script.calls()).toBe(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]).toBeGreaterThan(sleeps[0] ?? 0);
  });

  it('honours Retry-After on 429', async () => {
    const { clock, sleeps } = recordingClock();
    const script = scripted([
      new Response('', { status: 429, headers: { 'retry-after': '7' } }),
      new Response('ok'),
    ]);
    await httpRequest('r', 'http://r/v2/', {}, options(script.fetch, clock));
    expect(sleeps).toEqual([7000]);
  });

  it('gives up with an ExternalHostError naming host, request and last failure', async () => {
    const { clock } = recordingClock();
    const script = scripted([new Response('', { status: 500, statusText: 'Internal Server Error' })]);
    const failure = httpRequest(
      'reg:5000',
      'http://reg:5000/v2/a/tags/list',
      {},
      options(script.fetch, clock),
    );
    await expect(failure).rejects.toBeInstanceOf(ExternalHostError);
    await expect(failure).rejects.toThrow(
      /reg:5000 failed: GET \/v2\/a\/tags\/list → 500 Internal Server Error \(after 4 attempts\)/,
    );
    expect(script.calls()).toBe(4);
  });

  it('reports a reset by its code', async () => {
    const { clock } = recordingClock();
    const failure = httpRequest('r', 'http://r/v2/', {}, options(scripted([reset]).fetch, clock));
    await expect(failure).rejects.toThrow(/ECONNRESET/);
  });

  it('does not wait for a Retry-After beyond the limit', async () => {
    const { clock, sleeps } = recordingClock();
    const script = scripted([new Response('', { status: 429, headers: { 'retry-after': '3600' } })]);
    await expect(httpRequest('r', 'http://r/', {}, options(script.fetch, clock))).rejects.toThrow(
      /retry after 3600 s/,
    );
    expect(sleeps).toEqual([]);
  });

  it('hands 404 and 401 back without retrying', async () => {
    const { clock } = recordingClock();
    const script = scripted([new Response('', { status: 404 })]);
    expect((await httpRequest('r', 'http://r/', {}, options(script.fetch, clock))).status).toBe(404);
    expect(script.calls()).toBe(1);
  });

  it('times out a request that does not answer', async () => {
    const { clock } = recordingClock();
    const hang: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) =>
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
      );
    const failure = httpRequest('r', 'http://r/', {}, { ...options(hang, clock), timeoutMs: 20, retries: 1 });
    await expect(failure).rejects.toThrow(/timed out \(after 2 attempts\)/);
  });
});

describe('retry timing', () => {
  it('reads Retry-After as seconds or a date', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('backs off exponentially with jitter, capped', () => {
    const opts = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(0, { ...opts, random: () => 0 })).toBe(50);
    expect(backoffDelay(0, { ...opts, random: () => 1 })).toBe(100);
    expect(backoffDelay(3, { ...opts, random: () => 1 })).toBe(800);
    expect(backoffDelay(10, { ...opts, random: () => 1 })).toBe(1000);
  });
});
