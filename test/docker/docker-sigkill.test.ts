/**
 * SIGKILL trials: an update runs in a child process (./update-child.ts) that journals before each step;
 * it is killed at a chosen step plus a random delay, then reconciliation — the updater's refresh, locate,
 * verify and rollback, as the workflow's reconcile uses them — settles it. The service must always end
 * with its container under its name, running the old or the new image, and the journal plus locate()
 * must say which.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerClient } from '../../src/docker/client.js';
import { readFacts } from '../../src/updaters/docker/index.js';
import { loadEnvironment, repoRoot } from '../support/env.js';
import {
  containersOf,
  discoverAsset,
  newClient,
  newUpdater,
  removeApp,
  runApp,
  uniqueName,
  waitForDocker,
} from './support.js';

let client: DockerClient;
let dir: string;
const made: string[] = [];

beforeAll(async () => {
  client = newClient();
  await waitForDocker(client);
  dir = mkdtempSync(join(tmpdir(), 'su-sigkill-'));
});

afterAll(async () => {
  for (const name of made) await removeApp(client, name);
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Trial {
  /** Kill once the child printed a line starting with this (plus a random delay), or at a random time. */
  killAfter: string | 'random';
  tag: '1.1.0' | '1.2.0-crashloop';
}

const TRIALS: Trial[] = [
  { killAfter: 'validating', tag: '1.1.0' },
  { killAfter: 'applying', tag: '1.1.0' },
  { killAfter: 'progress stopping', tag: '1.1.0' },
  { killAfter: 'progress creating', tag: '1.1.0' },
  { killAfter: 'verifying', tag: '1.1.0' },
  { killAfter: 'succeeded', tag: '1.1.0' },
  { killAfter: 'progress stopping', tag: '1.2.0-crashloop' },
  { killAfter: 'progress creating', tag: '1.2.0-crashloop' },
  { killAfter: 'verifying', tag: '1.2.0-crashloop' },
  { killAfter: 'rolling-back', tag: '1.2.0-crashloop' },
  { killAfter: 'random', tag: '1.1.0' },
  { killAfter: 'random', tag: '1.2.0-crashloop' },
];

/** Runs the child and SIGKILLs it per the trial; resolves with the lines it printed. */
function runAndKill(name: string, trial: Trial, journalFile: string): Promise<string[]> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'test/docker/update-child.ts'),
      loadEnvironment().docker.host,
      name,
      trial.tag,
      journalFile,
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  let killTimer: NodeJS.Timeout | undefined;
  const killSoon = (maxDelayMs: number) => {
    killTimer ??= setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * maxDelayMs));
  };
  if (trial.killAfter === 'random') killSoon(9_000);
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      if (trial.killAfter !== 'random' && line.startsWith(trial.killAfter)) killSoon(400);
    }
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(killTimer);
      if (signal !== 'SIGKILL' && code !== 0) reject(new Error(`child exited ${code}: ${stderr}`));
      else resolve(lines);
    });
  });
}

describe('SIGKILL during a Docker update', () => {
  it.each(TRIALS.map((trial, index) => [index, trial.killAfter, trial.tag, { ...trial, index }] as const))(
    'trial %i: killed after "%s" updating to %s, the container is never missing',
    async (_index, _killAfter, _tag, trial) => {
      const name = uniqueName(`kill${trial.index}`);
      made.push(name);
      const oldId = await runApp(client, name, {
        tag: '1.0.0',
        hostConfig: { RestartPolicy: { Name: 'no' } },
      });
      const oldImageId = (await client.inspectContainer(oldId)).Image;
      const snapshot = await discoverAsset(client, name);
      const journalFile = join(dir, `${name}.json`);

      const lines = await runAndKill(name, trial, journalFile);

      // Reconcile from what was journaled, as the workflow's start-up reconciliation does.
      const updater = newUpdater(client, { stableMs: 2_000 });
      const ctx = { timeoutMs: 60_000 };
      const journaled = existsSync(journalFile)
        ? (JSON.parse(readFileSync(journalFile, 'utf8')) as {
            state: string;
            facts?: Record<string, unknown>;
          })
        : undefined;
      const target = { version: trial.tag };
      let settled: 'previous' | 'target' = 'previous';
      if (journaled?.facts) {
        const facts = readFacts(journaled.facts);
        const asset = await updater.refresh(snapshot);
        const where = await updater.locate(asset, target, journaled.facts);
        if (journaled.state === 'rolling-back' || journaled.state === 'rolled-back') {
          await updater.rollback(asset, journaled.facts, ctx);
        } else if (where === 'target') {
          const health = await updater.verify(asset, target, journaled.facts, ctx);
          if (health.healthy) {
            await updater.cleanup(asset, journaled.facts, ctx);
            settled = 'target';
          } else {
            await updater.rollback(asset, journaled.facts, ctx);
          }
        } else if (where === 'unknown') {
          await updater.rollback(asset, journaled.facts, ctx);
        }
        expect(facts.oldId).toBe(oldId);
      }

      const live = await client.inspectContainer(name);
      expect(live.State.Running, `after ${lines.join(' | ')}`).toBe(true);
      expect(await containersOf(client, name)).toEqual([name]);
      if (settled === 'target') {
        expect(trial.tag).toBe('1.1.0');
        expect(live.Config.Image).toMatch(/:1\.1\.0$/);
      } else {
        expect(live.Id).toBe(oldId);
        expect(live.Image).toBe(oldImageId);
      }
      if (journaled?.facts) {
        expect(await updater.locate(snapshot, target, journaled.facts)).toBe(settled);
      }
    },
    240_000,
  );
});
