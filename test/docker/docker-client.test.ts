/** The Docker client against podman's real Docker API and the local registries. */
import { describe, expect, it } from 'vitest';
import { ConflictError, ExternalHostError, NotFoundError } from '../../src/core/errors.js';
import { compareApiVersions } from '../../src/docker/client.js';
import { dockerSuite, environment, runApp, uniqueName } from './support.js';

const suite = dockerSuite();
const app = (prefix: string): string => suite.app(prefix);

describe('DockerClient on podman', () => {
  it('negotiates an API version both sides speak', async () => {
    const version = await suite.client.apiVersion();
    expect(compareApiVersions(version, '1.41')).toBeGreaterThanOrEqual(0);
    expect(compareApiVersions(version, '1.43')).toBeLessThanOrEqual(0);
  });

  it('maps 404 to NotFoundError and a name clash to ConflictError', async () => {
    await expect(suite.client.inspectContainer(uniqueName('missing'))).rejects.toBeInstanceOf(NotFoundError);
    const name = app('clash');
    await runApp(suite.client, name, { tag: '1.0.0' });
    const { repository } = environment();
    await expect(suite.client.createContainer(name, { Image: `${repository}:1.0.0` })).rejects.toBeInstanceOf(
      ConflictError,
    );
  });

  it('fails a pull of a tag that does not exist, though the engine answered 200', async () => {
    const { repository } = environment();
    await expect(suite.client.pullImage({ image: repository, tag: 'no-such-tag' })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('pulls from a basic-auth registry with X-Registry-Auth and fails without it', async () => {
    const { env } = environment();
    const basic = env.registries.basic;
    const image = `${basic.host}/${env.fixtures.imageRepository}`;
    await suite.client.removeImage(`${image}:1.0.1`).catch(() => undefined);
    await expect(suite.client.pullImage({ image, tag: '1.0.1' })).rejects.toBeInstanceOf(ExternalHostError);
    await suite.client.pullImage(
      { image, tag: '1.0.1' },
      { serverAddress: basic.host, credentials: { username: basic.username, password: basic.password } },
    );
    expect((await suite.client.inspectImage(`${image}:1.0.1`)).RepoTags).toContain(`${image}:1.0.1`);
  });

  it('execs an argument vector without a shell and returns exit code and output', async () => {
    const name = app('exec');
    await runApp(suite.client, name, { tag: '1.0.0' });
    const literal = await suite.client.exec(name, ['echo', '$HOME; exit 7'], { timeoutMs: 30_000 });
    expect(literal).toEqual({ exitCode: 0, stdout: '$HOME; exit 7\n', stderr: '' });
    const failing = await suite.client.exec(name, ['sh', '-c', 'echo oops >&2; exit 3'], {
      timeoutMs: 30_000,
    });
    expect(failing).toEqual({ exitCode: 3, stdout: '', stderr: 'oops\n' });
  });
});
