import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from './logger.js';
import { REDACTED, redact, redactString } from './redact.js';

describe('redact', () => {
  it('replaces values of secret-named keys at any depth', () => {
    const input = {
      registries: [{ host: 'ghcr.io', username: 'robot', password: 'hunter2', passwordEnv: 'REG_PW' }],
      headers: { Authorization: 'Bearer abc', 'X-Api-Key': 'k', accept: 'json' },
      auth: { access_token: 't', refreshToken: 'r', client_secret: 's' },
    };
    expect(redact(input)).toEqual({
      registries: [{ host: 'ghcr.io', username: 'robot', password: REDACTED, passwordEnv: REDACTED }],
      headers: { Authorization: REDACTED, 'X-Api-Key': REDACTED, accept: 'json' },
      auth: { access_token: REDACTED, refreshToken: REDACTED, client_secret: REDACTED },
    });
    expect(input.registries[0]?.password).toBe('hunter2');
  });

  it('removes credentials from URLs and authorization values inside text', () => {
    expect(redactString('pull from https://robot:hunter2@registry.example.com/v2/ failed')).toBe(
      `pull from https://robot:${REDACTED}@registry.example.com/v2/ failed`,
    );
    expect(redactString('postgres://safe:pw@127.0.0.1:5432/db')).toBe(
      `postgres://safe:${REDACTED}@127.0.0.1:5432/db`,
    );
    expect(redactString('sent Authorization: Bearer eyJhbGciOi.payload.sig')).toBe(
      `sent Authorization: Bearer ${REDACTED}`,
    );
    expect(redactString('https://example.com/no/credentials')).toBe('https://example.com/no/credentials');
  });

  it('turns errors into plain objects without leaking their secret properties', () => {
    const error = Object.assign(new Error('GET https://u:p@host/ failed'), { token: 'abc' });
    expect(redact({ err: error })).toMatchObject({
      err: { name: 'Error', message: `GET https://u:${REDACTED}@host/ failed`, token: REDACTED },
    });
  });

  it('survives cycles', () => {
    const cyclic: Record<string, unknown> = { name: 'a' };
    cyclic.self = cyclic;
    expect(redact(cyclic)).toEqual({ name: 'a', self: '[circular]' });
  });
});

describe('createLogger', () => {
  it('writes JSON lines with secrets redacted in fields and messages', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ level: 'info', destination });
    logger.info({ registry: { host: 'r', password: 'hunter2' } }, 'login to https://u:hunter2@r/v2/');
    logger.debug('not at this level');
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(record).toMatchObject({ level: 'info', registry: { host: 'r', password: REDACTED } });
    expect(record.msg).toBe(`login to https://u:${REDACTED}@r/v2/`);
    expect(lines[0]).not.toContain('hunter2');
  });
});
