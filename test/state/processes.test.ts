/**
 * The journal shared by real processes (SQLite file and PostgreSQL): a writer SIGKILLed inside its
 * transaction leaves a consistent journal; two processes never hold one lease at once; a dead holder's
 * lease is taken over once it expires.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Journal } from '../../src/state/types.js';
import { repoRoot } from '../support/env.js';
import { SHARED_BACKENDS, uniqueName, type Store } from './backends.js';

const WORKER = join(repoRoot, 'test', 'state', 'journal-worker.ts');
/** Generous: a tsx start-up on a loaded 2-core machine can take several seconds. */
const DEADLINE_MS = 90_000;

interface Worker {
  child: ChildProcess;
  /** Resolves with the first stdout line matching `pattern`; rejects on exit or after the deadline. */
  line(pattern: RegExp): Promise<string>;
  exited: Promise<number | null>;
}

const workers: Worker[] = [];

function startWorker(...args: string[]): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const listener of listeners) listener();
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const worker: Worker = {
    child,
    exited,
    line: (pattern) =>
      new Promise<string>((resolve, reject) => {
        const check = (): void => {
          const found = stdout.split('\n').find((l) => pattern.test(l));
          if (found !== undefined) {
            cleanup();
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(`no line ${pattern} within ${DEADLINE_MS} ms; stdout: ${stdout}; stderr: ${stderr}`),
          );
        }, DEADLINE_MS);
        const onExit = (code: number | null): void => {
          check();
          cleanup();
          reject(
            new Error(`worker exited (${code}) before ${pattern}; stdout: ${stdout}; stderr: ${stderr}`),
          );
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
        };
        listeners.add(check);
        child.on('exit', onExit);
        check();
      }),
  };
  workers.push(worker);
  return worker;
}

async function kill(worker: Worker): Promise<void> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
  await worker.exited;
}

describe.each(SHARED_BACKENDS)('journal shared by processes on $name', (backend) => {
  let store: Store;
  let journal: Journal;
  let dir: string;

  beforeEach(async () => {
    store = await backend.create();
    journal = await store.open();
    dir = mkdtempSync(join(tmpdir(), 'safe-updater-procs-'));
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map(kill));
    await journal.close();
    await store.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps a record unchanged when its writer is SIGKILLed inside the transaction', async () => {
    const record = await journal.createUpdate({
      assetId: `helm/${uniqueName('ns')}/web`,
      assetKind: 'helm',
      fromVersion: '1.0.0',
      toVersion: '1.1.0',
      origin: 'cli',
      requestedBy: 'tester',
    });
    const writer = startWorker('hold', store.url, record.id);
    await writer.line(/^in-transaction$/);
    // The writer has updated the row and inserted its transition, but not committed.
    expect((await journal.getUpdate(record.id))?.state).toBe('queued');
    writer.child.kill('SIGKILL');
    await writer.exited;

    expect((await journal.getUpdate(record.id))?.state).toBe('queued');
    expect((await journal.transitions(record.id)).map((t) => t.to)).toEqual(['queued']);
    // The killed writer's lock is gone: this process can move the record now.
    const moved = await journal.transition(record.id, 'queued', 'validating');
    expect(moved.state).toBe('validating');
    expect((await journal.transitions(record.id)).map((t) => t.message)).toEqual([null, null]);
    if (backend.name === 'sqlite-file') {
      const raw = new Database(store.url.replace(/^sqlite:\/\//, ''), { readonly: true });
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      raw.close();
    }
  });

  it('stays consistent when a busy writer is SIGKILLed at an arbitrary moment', async () => {
    const prefix = `helm/${uniqueName('ns')}/churn`;
    const writer = startWorker('churn', store.url, prefix);
    await writer.line(/^done 3$/);
    writer.child.kill('SIGKILL');
    await writer.exited;

    const updates = await journal.listUpdates();
    expect(updates.length).toBeGreaterThanOrEqual(3);
    for (const update of updates) {
      const trail = await journal.transitions(update.id);
      expect(trail[0]).toMatchObject({ from: null, to: 'queued' });
      for (let i = 1; i < trail.length; i++) expect(trail[i]?.from).toBe(trail[i - 1]?.to);
      expect(trail[trail.length - 1]?.to).toBe(update.state);
      if (update.state === 'succeeded')
        expect(update.facts).toEqual({ n: Number(update.toVersion.split('.')[2]) });
    }
    expect(updates.filter((u) => u.state === 'succeeded').length).toBeGreaterThanOrEqual(3);
    // Still writable by the next process.
    const next = await journal.createUpdate({
      assetId: `${prefix}-after`,
      assetKind: 'helm',
      fromVersion: '1.0.0',
      toVersion: '2.0.0',
      origin: 'reconcile',
      requestedBy: 'tester',
    });
    expect((await journal.transition(next.id, 'queued', 'cancelled')).state).toBe('cancelled');
  });

  it('never lets two processes hold the same lease at once', async () => {
    const log = join(dir, 'critical-section.log');
    writeFileSync(log, '');
    const name = `helm/${uniqueName('ns')}/web`;
    const times = '12';
    const a = startWorker('lease', store.url, name, 'A', times, log);
    const b = startWorker('lease', store.url, name, 'B', times, log);
    await Promise.all([a.line(/^finished$/), b.line(/^finished$/)]);

    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2 * 2 * Number(times));
    for (let i = 0; i < lines.length; i += 2) {
      const holder = lines[i]?.replace('enter ', '');
      expect(lines[i]).toMatch(/^enter [AB]$/);
      expect(lines[i + 1], `line ${i + 2} must close the section ${holder} opened`).toBe(`leave ${holder}`);
    }
    expect(lines.filter((l) => l === 'enter A')).toHaveLength(Number(times));
    expect(lines.filter((l) => l === 'enter B')).toHaveLength(Number(times));
  });

  it('hands the lease of a killed holder to another process once it has expired', async () => {
    const name = `helm/${uniqueName('ns')}/web`;
    const holder = startWorker('hold-lease', store.url, name, 'dead-holder', String(10 * 60_000));
    await holder.line(/^held$/);
    holder.child.kill('SIGKILL');
    await holder.exited;

    const lease = await journal.getLease(name);
    expect(lease?.holder).toBe('dead-holder');
    const expiresAt = lease?.expiresAt.getTime() ?? 0;
    expect(await journal.tryAcquireLease(name, 'next', 30_000, new Date())).toBe(false);
    expect(await journal.tryAcquireLease(name, 'next', 30_000, new Date(expiresAt - 1))).toBe(false);
    expect(await journal.tryAcquireLease(name, 'next', 30_000, new Date(expiresAt))).toBe(true);
    expect((await journal.getLease(name))?.holder).toBe('next');
  });
});
