import { describe, expect, it } from 'vitest';
import { loadEnvironment } from '../support/env.js';
import { basicAuth } from './support.js';

const env = loadEnvironment();
const repo = env.fixtures.imageRepository;
const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

async function tags(host: string, authorization?: string): Promise<string[]> {
  const res = await fetch(`http://${host}/v2/${repo}/tags/list?n=1000`, {
    headers: authorization ? { authorization } : {},
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { tags: string[] };
  return body.tags;
}

async function latestDigest(host: string, authorization?: string): Promise<string | null> {
  const res = await fetch(`http://${host}/v2/${repo}/manifests/latest`, {
    method: 'HEAD',
    headers: { accept: MANIFEST_TYPES, ...(authorization ? { authorization } : {}) },
  });
  expect(res.status).toBe(200);
  return res.headers.get('docker-content-digest');
}

/** The bearer flow: parse the challenge, ask the realm with basic credentials, return the token. */
async function bearerToken(username: string, password: string): Promise<string> {
  const challenge = await fetch(`http://${env.registries.token.host}/v2/`);
  expect(challenge.status).toBe(401);
  const header = challenge.headers.get('www-authenticate') ?? '';
  expect(header).toMatch(/^Bearer /);
  const params = Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  expect(params.realm).toBe(env.registries.token.realm);
  const url = new URL(params.realm ?? '');
  url.searchParams.set('service', params.service ?? '');
  url.searchParams.set('scope', `repository:${repo}:pull`);
  const res = await fetch(url, { headers: { authorization: basicAuth(username, password) } });
  if (res.status !== 200) throw new Error(`token server answered ${res.status}`);
  const body = (await res.json()) as { token: string };
  return body.token;
}

describe('fixture registries', () => {
  it('lists every published tag on the anonymous registry', async () => {
    expect(await tags(env.registries.anonymous.host)).toEqual(expect.arrayContaining(env.fixtures.imageTags));
  });

  it('asks for basic credentials and then lists every tag', async () => {
    const { host, username, password } = env.registries.basic;
    const denied = await fetch(`http://${host}/v2/${repo}/tags/list`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(await tags(host, basicAuth(username, password))).toEqual(
      expect.arrayContaining(env.fixtures.imageTags),
    );
  });

  it('serves tags through the bearer-token flow and refuses bad credentials', async () => {
    const { host, username, password } = env.registries.token;
    const token = await bearerToken(username, password);
    expect(token.split('.')).toHaveLength(3);
    expect(await tags(host, `Bearer ${token}`)).toEqual(expect.arrayContaining(env.fixtures.imageTags));
    await expect(bearerToken(username, `${password}-wrong`)).rejects.toThrow(/401/);
    const withoutToken = await fetch(`http://${host}/v2/${repo}/tags/list`);
    expect(withoutToken.status).toBe(401);
  });

  it('has latest on its second digest on all three registries', async () => {
    const [first, second] = env.fixtures.latestDigests;
    expect(first).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(second).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(second).not.toBe(first);
    const { basic, token } = env.registries;
    expect(await latestDigest(env.registries.anonymous.host)).toBe(second);
    expect(await latestDigest(basic.host, basicAuth(basic.username, basic.password))).toBe(second);
    expect(
      await latestDigest(token.host, `Bearer ${await bearerToken(token.username, token.password)}`),
    ).toBe(second);
  });
});
