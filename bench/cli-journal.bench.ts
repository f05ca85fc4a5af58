/**
 * CLI start-up and `status` over a large journal, on SQLite and PostgreSQL.
 *
 * Measures:
 * - start-up: wall time of `safe-updater --help` as a fresh process, built (node dist/cli/main.js) and from
 *   source (node --import tsx src/cli/main.ts), median / min / max of RUNS runs;
 * - status: a journal with 1,000 assets and 10,000 update records (10 per asset, 5 transitions each), read
 *   the way `status` reads it (listAssets + latestUpdatePerAsset) in-process, and end to end as
 *   `safe-updater --state URL -o json status --no-lookup` in a fresh process (the output is checked to hold
 *   every asset with its newest record).
 * The records are written with plain SQL in one transaction (seeding through the journal API would measure
 * 50,000 fsync'ed transactions, not reading them).
 *
 * Run: npx tsx bench/cli-journal.bench.ts [--runs 5] [--records 10000] [--no-build]   (PostgreSQL from env/up.sh)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openJournal, parseJournalUrl } from '../src/state/journal.js';
import { loadEnvironment } from '../test/support/env.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const argument = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(name);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
};
const RUNS = argument('--runs', 5);
const RECORDS = argument('--records', 10_000);
const PER_ASSET = 10;
const ASSETS = RECORDS / PER_ASSET;
const STATES = ['queued', 'validating', 'applying', 'verifying', 'succeeded'];

interface Summary {
  median: number;
  min: number;
  max: number;
}

function summarise(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor(sorted.length / 2)] ?? NaN,
    min: sorted[0] ?? NaN,
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

function show(label: string, s: Summary): void {
  console.log(
    `${label.padEnd(52)} median ${s.median.toFixed(0).padStart(6)} ms  (min ${s.min.toFixed(0)}, max ${s.max.toFixed(0)})`,
  );
}

function timeProcess(command: string[], cwd: string, check?: (stdout: string) => void): Summary {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const result = spawnSync(process.execPath, command, {
      cwd,
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    samples.push(performance.now() - start);
    if (result.status !== 0)
      throw new Error(`${command.join(' ')} exited ${result.status}: ${result.stderr}`);
    check?.(result.stdout);
  }
  return summarise(samples);
}

/** Rows of the seed: assets, their updates and each update's transitions. */
function seedRows(): { assets: unknown[][]; updates: unknown[][]; transitions: unknown[][] } {
  const assets: unknown[][] = [];
  const updates: unknown[][] = [];
  const transitions: unknown[][] = [];
  const base = Date.parse('2026-01-01T00:00:00Z');
  for (let a = 0; a < ASSETS; a++) {
    const id = `helm/ns-${a % 20}/app-${a}`;
    const snapshot = {
      id,
      kind: 'helm',
      name: `app-${a}`,
      namespace: `ns-${a % 20}`,
      current: { version: `1.0.${PER_ASSET}` },
      labels: {},
      annotations: {},
      policy: 'minor',
      healthChecks: [],
    };
    assets.push([
      id,
      'helm',
      `app-${a}`,
      `ns-${a % 20}`,
      0,
      null,
      new Date(base).toISOString(),
      JSON.stringify(snapshot),
    ]);
    for (let u = 0; u < PER_ASSET; u++) {
      const updateId = `u-${a}-${u}`;
      const at = (step: number): string =>
        new Date(base + (a * PER_ASSET + u) * 60_000 + step * 1_000).toISOString();
      updates.push([
        updateId,
        id,
        'helm',
        `1.0.${u}`,
        null,
        `1.0.${u + 1}`,
        null,
        'succeeded',
        'daemon',
        'daemon',
        null,
        '{"revision":1}',
        at(0),
        at(4),
      ]);
      STATES.forEach((state, step) =>
        transitions.push([updateId, step === 0 ? null : STATES[step - 1], state, at(step), null]),
      );
    }
  }
  return { assets, updates, transitions };
}

const UPDATE_COLUMNS =
  'id, asset_id, asset_kind, from_version, from_digest, to_version, to_digest, state, origin, requested_by, reason, facts, created_at, updated_at';
const ASSET_COLUMNS = 'id, kind, name, namespace, paused, paused_reason, last_seen_at, snapshot';
const TRANSITION_COLUMNS = 'update_id, from_state, to_state, at, message';

function seedSqlite(path: string): void {
  const { assets, updates, transitions } = seedRows();
  const db = new Database(path);
  const insert = (table: string, columns: string, rows: unknown[][]): void => {
    const statement = db.prepare(
      `insert into ${table} (${columns}) values (${columns
        .split(',')
        .map(() => '?')
        .join(', ')})`,
    );
    for (const row of rows) statement.run(...row);
  };
  db.transaction(() => {
    insert('assets', ASSET_COLUMNS, assets);
    insert('updates', UPDATE_COLUMNS, updates);
    insert('transitions', TRANSITION_COLUMNS, transitions);
  })();
  db.close();
}

async function seedPostgres(connectionString: string, schema: string): Promise<void> {
  const { assets, updates, transitions } = seedRows();
  const client = new pg.Client({ connectionString, options: `-c search_path=${schema}` });
  await client.connect();
  const insert = async (table: string, columns: string, rows: unknown[][]): Promise<void> => {
    const width = columns.split(',').length;
    for (let start = 0; start < rows.length; start += 1000) {
      const batch = rows.slice(start, start + 1000);
      const values = batch.map(
        (_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`,
      );
      await client.query(`insert into ${table} (${columns}) values ${values.join(', ')}`, batch.flat());
    }
  };
  await client.query('begin');
  await insert('assets', ASSET_COLUMNS, assets);
  await insert('updates', UPDATE_COLUMNS, updates);
  await insert('transitions', TRANSITION_COLUMNS, transitions);
  await client.query('commit');
  await client.end();
}

async function readLikeStatus(url: string): Promise<Summary> {
  const journal = await openJournal(url);
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const [rows, latest] = await Promise.all([journal.listAssets(), journal.latestUpdatePerAsset()]);
    samples.push(performance.now() - start);
    if (rows.length !== ASSETS || latest.size !== ASSETS)
      throw new Error(`read ${rows.length} assets, ${latest.size} latest records`);
  }
  await journal.close();
  return summarise(samples);
}

function checkStatusOutput(stdout: string): void {
  const parsed = JSON.parse(stdout) as unknown;
  const lines = (Array.isArray(parsed) ? parsed : ((parsed as { assets?: unknown[] }).assets ?? [])) as {
    lastUpdate?: { to?: string } | null;
  }[];
  if (lines.length !== ASSETS) throw new Error(`status printed ${lines.length} assets, expected ${ASSETS}`);
  if (lines.some((line) => line.lastUpdate?.to !== `1.0.${PER_ASSET}`))
    throw new Error('status missed the newest record of an asset');
}

const work = mkdtempSync(join(tmpdir(), 'safe-updater-bench-'));
try {
  const built = join(root, 'dist', 'cli', 'main.js');
  // A stale dist would measure yesterday's CLI: build unless told not to (and then it must exist).
  if (!process.argv.includes('--no-build'))
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\``);
  const tsx = import.meta.resolve('tsx');
  const cli = (args: string[]): string[] => [built, ...args];
  console.log(
    `safe-updater CLI benchmark: ${RUNS} runs each, ${RECORDS} update records over ${ASSETS} assets\n`,
  );
  show('start-up: --help (node dist/cli/main.js)', timeProcess(cli(['--help']), work));
  show(
    'start-up: --help (node --import tsx src/cli/main.ts)',
    timeProcess(['--import', tsx, join(root, 'src', 'cli', 'main.ts'), '--help'], work),
  );

  const backends: { name: string; url: string; cleanup: () => Promise<void> }[] = [
    { name: 'SQLite', url: `sqlite://${join(work, 'state.db')}`, cleanup: async () => undefined },
  ];
  try {
    const schema = `bench_${process.pid}`;
    const url = new URL(loadEnvironment().postgres.url);
    url.searchParams.set('schema', schema);
    backends.push({
      name: 'PostgreSQL',
      url: url.toString(),
      cleanup: async () => {
        const client = new pg.Client({ connectionString: loadEnvironment().postgres.url });
        await client.connect();
        await client.query(`drop schema if exists ${schema} cascade`);
        await client.end();
      },
    });
  } catch (error) {
    console.log(`PostgreSQL skipped: ${(error as Error).message}`);
  }

  for (const backend of backends) {
    const journal = await openJournal(backend.url);
    await journal.migrate();
    await journal.close();
    const seedStart = performance.now();
    const location = parseJournalUrl(backend.url);
    if (location.dialect === 'sqlite') seedSqlite(location.path);
    else await seedPostgres(location.connectionString, location.schema ?? 'public');
    console.log(`\n${backend.name}: seeded in ${(performance.now() - seedStart).toFixed(0)} ms`);
    try {
      show(`${backend.name}: listAssets + latestUpdatePerAsset`, await readLikeStatus(backend.url));
      show(
        `${backend.name}: status --no-lookup -o json (process)`,
        timeProcess(
          cli(['--state', backend.url, '-o', 'json', 'status', '--no-lookup']),
          work,
          checkStatusOutput,
        ),
      );
    } finally {
      await backend.cleanup();
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
