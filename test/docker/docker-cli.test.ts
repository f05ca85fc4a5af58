/**
 * Docker updates through the real CLI (`node dist/cli/main.js update docker/local/NAME`, built by npm test),
 * with a configuration and a journal of its own, against podman's Docker API and the local registry.
 */
import { execFile, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { DockerClient } from '../../src/docker/client.js';
import { openJournal } from '../../src/state/journal.js';
import { loadEnvironment, repoRoot } from '../support/env.js';
import { containersOf, newClient, removeApp, runApp, uniqueName, waitForDocker } from './support.js';

const CLI = join(repoRoot, 'dist', 'cli', 'main.js');

let client: DockerClient;
let dir: string;
let configPath: string;
let statePath: string;
const made: string[] = [];

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  client = newClient();
  await waitForDocker(client);
  const env = loadEnvironment();
  dir = mkdtempSync(join(tmpdir(), 'su-docker-cli-'));
  configPath = join(dir, 'safe-updater.yaml');
  statePath = join(dir, 'state.db');
  writeFileSync(
    configPath,
    stringify({
      state: `sqlite://${statePath}`,
      kubernetes: { enabled: false },
      helm: { enabled: false },
      docker: { host: env.docker.host, enabled: true },
      registries: [{ host: env.registries.anonymous.host, insecure: true }],
      defaultPolicy: 'all',
      // The SIGKILL trials roll back often on purpose: no loop pause here.
      rollback: { timeout: '90s', monitor: '2s', maxRollbacks: 1000, window: '1h' },
    }),
  );
});

afterAll(async () => {
  for (const name of made) await removeApp(client, name);
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

const CLI_ENV = { ...process.env, SAFE_UPDATER_ACTOR: 'docker-cli-test', SAFE_UPDATER_LOG_LEVEL: 'warn' };

function cli(
  args: string[],
  config: string = configPath,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, '--config', config, '--output', 'json', ...args],
      { cwd: dir, timeout: 240_000, env: CLI_ENV },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('safe-updater update docker/…', () => {
  it('updates a labelled container to 1.1.0 and journals it succeeded', async () => {
    const name = uniqueName('cli');
    made.push(name);
    await runApp(client, name, { tag: '1.0.0' });

    const result = await cli(['update', `docker/local/${name}`, '--to-version', '1.1.0', '--timeout', '120']);

    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    const live = await client.inspectContainer(name);
    expect(live.Config.Image).toMatch(/:1\.1\.0$/);
    expect(live.State.Running).toBe(true);
    expect(await containersOf(client, name)).toEqual([name]);
    const journal = await openJournal(`sqlite://${statePath}`);
    try {
      const [record] = await journal.listUpdates({ assetId: `docker/local/${name}` });
      expect(record?.state).toBe('succeeded');
      expect(record?.facts['containerName']).toBe(name);
    } finally {
      await journal.close();
    }
  });

  it('rolls back a crashing version and exits 3, the original container running', async () => {
    const name = uniqueName('clirb');
    made.push(name);
    const oldId = await runApp(client, name, { tag: '1.0.0' });

    const result = await cli([
      'update',
      `docker/local/${name}`,
      '--to-version',
      '1.2.0-crashloop',
      '--timeout',
      '120',
    ]);

    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(3);
    const live = await client.inspectContainer(name);
    expect(live.Id).toBe(oldId);
    expect(live.State.Running).toBe(true);
    expect(await containersOf(client, name)).toEqual([name]);
  });

  it(
    'settles updates killed at random moments: the container always runs, on the version its journal names',
    { timeout: 900_000 },
    async () => {
      const name = uniqueName('clikill');
      made.push(name);
      await runApp(client, name, { tag: '1.0.0' });
      const id = `docker/local/${name}`;
      const TERMINAL = ['succeeded', 'failed', 'rolled-back', 'rollback-failed', 'cancelled'];
      const outcomes: string[] = [];
      for (let trial = 0; trial < 5; trial += 1) {
        const current = (await client.inspectContainer(name)).Config.Image?.split(':').pop() ?? '';
        const target = trial % 3 === 2 ? '1.2.0-crashloop' : current === '1.0.0' ? '1.1.0' : '1.0.0';
        const child = spawn(
          process.execPath,
          [
            CLI,
            '--config',
            configPath,
            '--output',
            'json',
            'update',
            id,
            '--to-version',
            target,
            '--force',
            '--retry-failed',
          ],
          { cwd: dir, env: CLI_ENV, stdio: 'ignore' },
        );
        const exited = new Promise<boolean>((resolve) => child.once('exit', () => resolve(true)));
        // The CLI takes ~10-15 s to start on a loaded 2-core machine; its recreate window follows within seconds.
        const killAfterMs = 8_000 + Math.floor(Math.random() * 16_000);
        const finished = await Promise.race([exited, sleep(killAfterMs).then(() => false)]);
        if (!finished) {
          child.kill('SIGKILL');
          await exited;
        }

        // A restarted CLI settles the interrupted record first.
        const history = await cli(['history', id, '--limit', '100']);
        // Killed before the asset was first journaled: there is no history, and nothing was touched.
        const unrecorded = history.code === 8 && history.stdout.includes('knows no asset');
        expect(unrecorded || history.code === 0, history.stdout + history.stderr).toBe(true);
        type HistoryUpdate = { state: string; fromVersion: string; toVersion: string };
        const updates = unrecorded
          ? []
          : (JSON.parse(history.stdout) as { updates: HistoryUpdate[] }).updates;
        expect(
          updates.filter((u) => !TERMINAL.includes(u.state)),
          history.stdout,
        ).toEqual([]);
        const last = updates[0];
        expect(last?.state).not.toBe('rollback-failed');
        const expected = last ? (last.state === 'succeeded' ? last.toVersion : last.fromVersion) : current;
        const live = await client.inspectContainer(name);
        expect(live.State.Running, `trial ${trial}`).toBe(true);
        expect(live.Config.Image, `trial ${trial}: ${JSON.stringify(last)}`).toMatch(
          new RegExp(`:${expected.replace(/\./g, '\\.')}$`),
        );
        // A process killed after `succeeded` but before cleanup may leave the parked container, stopped.
        for (const other of (await containersOf(client, name)).filter((n) => n !== name)) {
          expect((await client.inspectContainer(other)).State.Running).toBe(false);
        }
        outcomes.push(
          `${current}→${target} ${finished ? 'finished' : `killed after ${killAfterMs} ms`}: ${last?.state ?? 'no record'}, runs ${expected}`,
        );
      }
      console.log(outcomes.join('\n'));

      // The next update clears what interrupted cleanups left behind.
      const current = (await client.inspectContainer(name)).Config.Image?.split(':').pop();
      const final = await cli([
        'update',
        id,
        '--to-version',
        current === '1.1.0' ? '1.0.0' : '1.1.0',
        '--force',
        '--retry-failed',
      ]);
      expect(final.code, final.stdout + final.stderr).toBe(0);
      expect(await containersOf(client, name)).toEqual([name]);
    },
  );
});

describe("Watchtower's habits: every container, and the old image cleaned up", () => {
  it('watches unlabelled containers with docker.watchAll (an explicit false still opts out), removes the old image with docker.cleanup', async () => {
    const env = loadEnvironment();
    const base = {
      state: `sqlite://${statePath}`,
      kubernetes: { enabled: false },
      helm: { enabled: false },
      registries: [{ host: env.registries.anonymous.host, insecure: true }],
      defaultPolicy: 'all',
      rollback: { timeout: '90s', monitor: '2s' },
    };
    const optIn = join(dir, 'opt-in.yaml');
    const all = join(dir, 'all.yaml');
    writeFileSync(optIn, stringify({ ...base, docker: { host: env.docker.host } }));
    writeFileSync(
      all,
      stringify({ ...base, docker: { host: env.docker.host, watchAll: true, cleanup: true } }),
    );
    const plain = uniqueName('plain');
    const excluded = uniqueName('optout');
    made.push(plain, excluded);
    // v-prefixed tags: no other suite runs them, so the old image is free to go after the update.
    await runApp(client, plain, { tag: 'v1.0.0', extra: { Labels: {} } });
    await runApp(client, excluded, {
      tag: 'v1.0.0',
      extra: { Labels: { 'com.centurylinklabs.watchtower.enable': 'false' } },
    });
    const listed = async (config: string): Promise<string[]> => {
      const scan = await cli(['scan', '--kind', 'docker'], config);
      expect(scan.code, scan.stderr).toBe(0);
      return (JSON.parse(scan.stdout) as { assets: { id: string }[] }).assets.map((a) => a.id);
    };
    expect(await listed(optIn)).not.toContain(`docker/local/${plain}`);
    const everything = await listed(all);
    expect(everything).toContain(`docker/local/${plain}`);
    expect(everything).not.toContain(`docker/local/${excluded}`);

    // The opted-out container holds v1.0.0 too; without it, the image is unused after the update.
    await removeApp(client, excluded);
    const oldImage = (await client.inspectContainer(plain)).Image;
    const update = await cli(
      ['update', `docker/local/${plain}`, '--to-version', 'v1.1.0', '--timeout', '120'],
      all,
    );
    expect(update.code, update.stdout + update.stderr).toBe(0);
    expect((await client.inspectContainer(plain)).Config.Image).toMatch(/:v1\.1\.0$/);
    expect(await client.findImage(oldImage)).toBeUndefined();
  });
});
