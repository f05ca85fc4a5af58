import { describe, expect, it } from 'vitest';
import { ExternalHostError } from '../core/errors.js';
import {
  compareApiVersions,
  demultiplex,
  DockerClient,
  pullStreamError,
  registryAuthHeader,
} from './client.js';

function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('Docker client helpers', () => {
  it('splits the multiplexed exec stream into stdout and stderr', () => {
    expect(demultiplex(Buffer.concat([frame(1, 'out1 '), frame(2, 'err'), frame(1, 'out2')]))).toEqual({
      stdout: 'out1 out2',
      stderr: 'err',
    });
    expect(demultiplex(Buffer.from('plain text output'))).toEqual({
      stdout: 'plain text output',
      stderr: '',
    });
  });

  it('finds an error inside a pull progress stream', () => {
    const ok = '{"status":"Pulling"}\n{"status":"Download complete"}\n';
    expect(pullStreamError(ok)).toBeUndefined();
    expect(pullStreamError(`${ok}{"error":"x","errorDetail":{"message":"manifest unknown"}}\n`)).toBe(
      'manifest unknown',
    );
  });

  it('encodes X-Registry-Auth as padded URL-safe base64 JSON', () => {
    const header = registryAuthHeader('127.0.0.1:5002', { username: 'u', password: 'p?>' });
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({
      username: 'u',
      password: 'p?>',
      serveraddress: '127.0.0.1:5002',
    });
    expect(header).not.toMatch(/[+/]/);
    expect(header.length % 4).toBe(0);
  });

  it('compares API versions numerically', () => {
    expect(compareApiVersions('1.9', '1.41')).toBeLessThan(0);
    expect(compareApiVersions('1.43', '1.41')).toBeGreaterThan(0);
  });

  it('reports an engine it cannot reach as an ExternalHostError', async () => {
    const client = new DockerClient({ host: 'unix:///nonexistent/docker.sock' });
    await expect(client.ping()).rejects.toBeInstanceOf(ExternalHostError);
    await client.close();
  });
});
