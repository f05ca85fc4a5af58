import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { CredentialStore } from './credentials.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

describe('CredentialStore', () => {
  it('prefers the config entry; reads passwordEnv and passwordFile', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'creds-'));
    await writeFile(join(dir, 'pw'), 'from-file\n');
    const store = new CredentialStore({
      registries: [
        { host: '127.0.0.1:5002', username: 'u', passwordEnv: 'REG_PW' },
        { host: 'ghcr.io', username: 'bot', passwordFile: join(dir, 'pw') },
        { host: 'quay.io', username: 'q', passwordEnv: 'MISSING' },
      ],
      env: { REG_PW: 'from-env' },
      dockerConfigs: [{ auths: { '127.0.0.1:5002': { auth: b64('other:pw') } } }],
    });
    expect(await store.forRegistry('127.0.0.1:5002')).toEqual({ username: 'u', password: 'from-env' });
    expect(await store.forRegistry('ghcr.io')).toEqual({ username: 'bot', password: 'from-file' });
    await expect(store.forRegistry('quay.io')).rejects.toThrow(ConfigError);
  });

  it('reads docker config.json: auths, identity tokens, credHelpers, credsStore', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'creds-'));
    const path = join(dir, 'config.json');
    await writeFile(
      path,
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: b64('hub-user:hub:pw') },
          'registry.example.com': { identitytoken: 'refresh-me' },
        },
        credHelpers: { 'gcr.io': 'gcloud' },
        credsStore: 'desktop',
      }),
    );
    const asked: string[] = [];
    const store = new CredentialStore({
      registries: [],
      dockerConfigPaths: [join(dir, 'missing.json'), path],
      runCredentialHelper: (helper, host) => {
        asked.push(`${helper}:${host}`);
        if (helper === 'gcloud') return Promise.resolve({ Username: '<token>', Secret: 'gtoken' });
        return Promise.resolve(host === 'quay.io' ? { Username: 'q', Secret: 's' } : undefined);
      },
    });
    expect(await store.forRegistry('index.docker.io')).toEqual({ username: 'hub-user', password: 'hub:pw' });
    expect(await store.forRegistry('registry.example.com')).toEqual({
      identityToken: 'refresh-me',
      username: '',
    });
    expect(await store.forRegistry('gcr.io')).toEqual({ identityToken: 'gtoken' });
    expect(await store.forRegistry('quay.io')).toEqual({ username: 'q', password: 's' });
    expect(await store.forRegistry('nowhere.io')).toBeUndefined();
    expect(asked).toEqual(['gcloud:gcr.io', 'desktop:quay.io', 'desktop:nowhere.io']);
  });

  it('learns credentials from imagePullSecrets found after discovery', async () => {
    const store = new CredentialStore({ registries: [] });
    expect(await store.forRegistry('10.0.0.1:5000')).toBeUndefined();
    store.addDockerConfigs([{ auths: { '10.0.0.1:5000': { username: 'puller', password: 'pw' } } }]);
    expect(await store.forRegistry('10.0.0.1:5000')).toEqual({ username: 'puller', password: 'pw' });
  });

  it('names a docker config that is not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'creds-'));
    await writeFile(join(dir, 'config.json'), '{ nope');
    const store = new CredentialStore({ registries: [], dockerConfigPaths: [join(dir, 'config.json')] });
    await expect(store.forRegistry('x.io')).rejects.toThrow(/config.json is not valid JSON/);
  });
});
