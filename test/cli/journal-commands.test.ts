/** pause, resume, approve, reject and init against a real SQLite journal, through the CLI. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { STARTER_CONFIG } from '../../src/config/starter.js';
import { openJournal } from '../../src/state/journal.js';
import type { Journal } from '../../src/state/types.js';
import { runInProcess } from './run-cli.js';

let cwd: string;
let state: string;

async function withJournal<T>(work: (journal: Journal) => Promise<T>): Promise<T> {
  const journal = await openJournal(state);
  await journal.migrate();
  try {
    return await work(journal);
  } finally {
    await journal.close();
  }
}

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'safe-updater-cli-'));
  state = `sqlite://${join(cwd, 'state.db')}`;
  writeFileSync(
    join(cwd, 'safe-updater.yaml'),
    `assets:\n  - id: helm/default/web\n  - id: docker/local/api\n`,
  );
});

afterEach(() => rmSync(cwd, { recursive: true, force: true }));

describe('pause and resume', () => {
  it('pauses an asset listed in the configuration, with a reason and an audit event', async () => {
    const result = await runInProcess(
      ['--state', state, 'pause', 'helm/default/web', '-r', 'freeze week'],
      cwd,
    );
    expect(result).toMatchObject({ code: 0, stdout: 'paused helm/default/web\n', stderr: '' });
    await withJournal(async (journal) => {
      expect(await journal.getAsset('helm/default/web')).toMatchObject({
        paused: true,
        pausedReason: 'freeze week',
      });
      const [event] = await journal.auditEvents({ assetId: 'helm/default/web' });
      expect(event).toMatchObject({
        type: 'asset.paused',
        actor: 'cli:tester',
        data: { reason: 'freeze week' },
      });
    });
    const resumed = await runInProcess(['--state', state, '-o', 'json', 'resume', 'helm/default/web'], cwd);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toEqual({ resumed: ['helm/default/web'], reason: null });
    await withJournal(async (journal) =>
      expect((await journal.getAsset('helm/default/web'))?.paused).toBe(false),
    );
  });

  it('pauses and resumes every known asset with --all', async () => {
    await runInProcess(['--state', state, 'pause', 'helm/default/web'], cwd);
    await runInProcess(['--state', state, 'pause', 'docker/local/api'], cwd);
    await runInProcess(['--state', state, 'resume', '--all'], cwd);
    await withJournal(async (journal) => {
      expect((await journal.listAssets()).map((a) => [a.id, a.paused])).toEqual([
        ['docker/local/api', false],
        ['helm/default/web', false],
      ]);
    });
    const paused = await runInProcess(['--state', state, '-o', 'json', 'pause', '--all'], cwd);
    expect(JSON.parse(paused.stdout)).toMatchObject({ paused: ['docker/local/api', 'helm/default/web'] });
    await withJournal(async (journal) => {
      expect((await journal.listAssets()).every((a) => a.paused)).toBe(true);
    });
  });

  it('refuses an unknown asset (8), a malformed id (2), and neither or both of asset and --all (2)', async () => {
    expect((await runInProcess(['--state', state, 'pause', 'helm/default/nope'], cwd)).code).toBe(8);
    expect((await runInProcess(['--state', state, 'pause', 'web'], cwd)).code).toBe(2);
    expect((await runInProcess(['--state', state, 'pause'], cwd)).code).toBe(2);
    expect((await runInProcess(['--state', state, 'resume', 'helm/default/web', '--all'], cwd)).code).toBe(2);
    await withJournal(async (journal) => expect(await journal.listAssets()).toEqual([]));
  });

  it('keeps the journal where the configuration says, relative to the working directory', async () => {
    writeFileSync(
      join(cwd, 'safe-updater.yaml'),
      `state: sqlite://journal/here.db\nassets:\n  - id: helm/default/web\n`,
    );
    expect((await runInProcess(['pause', 'helm/default/web'], cwd)).code).toBe(0);
    expect(existsSync(join(cwd, 'journal', 'here.db'))).toBe(true);
  });
});

describe('approve and reject', () => {
  async function pendingApproval(id: string): Promise<void> {
    await withJournal((journal) =>
      journal.createApproval({
        id,
        assetId: 'helm/default/web',
        toVersion: '2.0.0',
        requestedAt: new Date(),
        deadline: null,
      }),
    );
  }

  it('approves a pending approval once', async () => {
    await pendingApproval('ap1');
    const first = await runInProcess(['--state', state, 'approve', 'ap1', '-m', 'OPS-42'], cwd);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^approved ap1: helm\/default\/web → 2\.0\.0 \(by cli:tester at /);
    const again = await runInProcess(['--state', state, 'reject', 'ap1'], cwd);
    expect(again.code).toBe(7);
    expect(again.stderr).toMatch(/^error: approval ap1 is approved already \(by cli:tester\)/);
    await withJournal(async (journal) => {
      expect((await journal.listApprovals())[0]).toMatchObject({ state: 'approved', comment: 'OPS-42' });
    });
  });

  it('rejects with JSON output, and reports an unknown id as not found', async () => {
    await pendingApproval('ap2');
    const rejected = await runInProcess(['--state', state, '-o', 'json', 'reject', 'ap2'], cwd);
    expect(rejected.code).toBe(0);
    expect(JSON.parse(rejected.stdout)).toMatchObject({
      approval: { id: 'ap2', state: 'rejected', decidedBy: 'cli:tester' },
    });
    const missing = await runInProcess(['--state', state, '-o', 'json', 'approve', 'nope'], cwd);
    expect(missing.code).toBe(8);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { type: 'NotFoundError', exitCode: 8 } });
  });
});

describe('cancel', () => {
  it("takes a queued update out of the daemon's queue once, and refuses one that runs (7) or is unknown (8)", async () => {
    const [queued, running] = await withJournal(async (journal) => {
      const entry = { queue: { priority: 1, namespace: 'default', dependsOn: [] } };
      const first = await journal.createUpdate({
        assetId: 'helm/default/web',
        assetKind: 'helm',
        fromVersion: '1.0.0',
        toVersion: '1.1.0',
        origin: 'daemon',
        requestedBy: 'daemon',
        facts: entry,
      });
      const second = await journal.createUpdate({
        assetId: 'docker/local/api',
        assetKind: 'docker',
        fromVersion: '1.0.0',
        toVersion: '1.1.0',
        origin: 'daemon',
        requestedBy: 'daemon',
        facts: entry,
      });
      await journal.transition(second.id, 'queued', 'validating');
      return [first.id, second.id];
    });
    const done = await runInProcess(['--state', state, 'cancel', queued, '-m', 'change freeze'], cwd);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toBe(`cancelled ${queued}: helm/default/web 1.0.0 → 1.1.0\n`);
    const again = await runInProcess(['--state', state, '-o', 'json', 'cancel', queued], cwd);
    expect(again.code).toBe(7);
    expect(JSON.parse(again.stdout)).toMatchObject({ error: { type: 'ConflictError' } });
    const busy = await runInProcess(['--state', state, 'cancel', running], cwd);
    expect(busy.code).toBe(7);
    expect(busy.stderr).toMatch(/is validating: only a queued update can be cancelled/);
    expect((await runInProcess(['--state', state, 'cancel', 'nope'], cwd)).code).toBe(8);
    await withJournal(async (journal) => {
      expect(await journal.getUpdate(queued)).toMatchObject({ state: 'cancelled', reason: 'change freeze' });
      expect((await journal.getUpdate(running))?.state).toBe('validating');
    });
  });
});

describe('queue', () => {
  it('lists running updates, then queued ones by priority and age, marking paused assets', async () => {
    await withJournal(async (journal) => {
      const queued = (assetId: string, priority: number) =>
        journal.createUpdate({
          assetId,
          assetKind: assetId.startsWith('helm') ? 'helm' : 'docker',
          fromVersion: '1.0.0',
          toVersion: '1.1.0',
          origin: 'daemon',
          requestedBy: 'daemon',
          facts: {
            queue: { priority, namespace: 'default', dependsOn: priority === 1 ? ['docker/local/db'] : [] },
          },
        });
      await queued('helm/default/web', 1);
      await queued('docker/local/api', 3);
      const running = await queued('docker/local/db', 2);
      await journal.transition(running.id, 'queued', 'validating');
      await journal.upsertAssets(
        [
          {
            id: 'helm/default/web',
            kind: 'helm',
            name: 'web',
            namespace: 'default',
            current: { version: '1.0.0' },
            labels: {},
            annotations: {},
            policy: 'minor',
            healthChecks: [],
          },
        ],
        new Date(),
      );
      await journal.setPaused('helm/default/web', true, 'hold', 'cli:tester');
    });
    const json = await runInProcess(['--state', state, '-o', 'json', 'queue'], cwd);
    expect(json.code, json.stderr).toBe(0);
    const listed = JSON.parse(json.stdout) as {
      running: { assetId: string; state: string }[];
      queued: { assetId: string; priority: number; paused: boolean; dependsOn: string[] }[];
    };
    expect(listed.running.map((e) => [e.assetId, e.state])).toEqual([['docker/local/db', 'validating']]);
    expect(listed.queued.map((e) => [e.assetId, e.priority, e.paused])).toEqual([
      ['docker/local/api', 3, false],
      ['helm/default/web', 1, true],
    ]);
    const text = await runInProcess(['--state', state, 'queue'], cwd);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/docker\/local\/api .*queued +security/);
    expect(text.stdout).toMatch(/helm\/default\/web .*queued \(asset paused\) +feature +docker\/local\/db/);
    expect(text.stdout).toMatch(/1 running, 2 queued/);
  });
});

describe('init', () => {
  it('writes the starter configuration, which loads without problems, and refuses to overwrite it', async () => {
    const first = await runInProcess(['--config', 'conf/su.yaml', 'init'], cwd);
    expect(first.code).toBe(0);
    const written = join(cwd, 'conf', 'su.yaml');
    expect(readFileSync(written, 'utf8')).toBe(STARTER_CONFIG);
    const { config, path } = await loadConfig('conf/su.yaml', { explicit: true, cwd, env: {} });
    expect(path).toBe('conf/su.yaml');
    expect(Object.keys(config.policies)).toEqual(['careful']);

    writeFileSync(written, 'edited: true\n');
    const second = await runInProcess(['--config', 'conf/su.yaml', 'init'], cwd);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/exists already\nhint: pass --force/);
    expect(readFileSync(written, 'utf8')).toBe('edited: true\n');

    expect((await runInProcess(['--config', 'conf/su.yaml', 'init', '--force'], cwd)).code).toBe(0);
    expect(readFileSync(written, 'utf8')).toBe(STARTER_CONFIG);
  });
});
