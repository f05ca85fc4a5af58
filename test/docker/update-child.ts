/**
 * Child process of the SIGKILL trials: runs one Docker update step by step and writes, before each step,
 * what it is about to do to a journal file (facts first, write-ahead, replaced atomically) — the same
 * order the workflow journals in. The parent kills it at random moments and reconciles from that file.
 *
 * argv: <docker host> <container name> <target tag> <journal file>
 */
import { renameSync, writeFileSync } from 'node:fs';
import { DockerClient } from '../../src/docker/client.js';
import { createDockerSource } from '../../src/sources/docker.js';
import { createDockerUpdater } from '../../src/updaters/docker/index.js';

const [host, name, tag, journalFile] = process.argv.slice(2) as [string, string, string, string];

function journal(state: string, facts?: Record<string, unknown>): void {
  const temporary = `${journalFile}.tmp`;
  writeFileSync(temporary, JSON.stringify({ state, facts }), { flush: true });
  renameSync(temporary, journalFile);
  process.stdout.write(`${state}\n`);
}

const client = new DockerClient({ host });
const updater = createDockerUpdater({ client, hostName: 'test', stableMs: 2_000, pollIntervalMs: 200 });
const ctx = {
  timeoutMs: 60_000,
  progress: (message: string) => process.stdout.write(`progress ${message}\n`),
};
const source = createDockerSource({ client, hostName: 'test', defaultPolicy: 'all' });
const asset = (await source.discover()).assets.find((a) => a.name === name);
if (!asset) throw new Error(`no asset ${name}`);
const target = { version: tag };
journal('validating');
await updater.validate(asset, target, ctx);
const facts = await updater.prepare(asset, target, ctx);
journal('applying', facts);
await updater.apply(asset, target, facts, ctx);
journal('verifying', facts);
const health = await updater.verify(asset, target, facts, ctx);
if (health.healthy) {
  journal('succeeded', facts);
  await updater.cleanup(asset, facts, ctx);
} else {
  journal('rolling-back', facts);
  await updater.rollback(asset, facts, ctx);
  journal('rolled-back', facts);
}
process.stdout.write('done\n');
await client.close();
