/**
 * The journal backends every state suite runs against: SQLite in memory, SQLite in a file, and the real
 * PostgreSQL of the local environment (`bash env/up.sh`), each test in a schema of its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openJournal, type OpenJournalOptions } from '../../src/state/journal.js';
import type { Journal } from '../../src/state/types.js';
import { loadEnvironment } from '../support/env.js';

export interface Backend {
  name: 'sqlite-memory' | 'sqlite-file' | 'postgres';
  /** A fresh, empty journal location; `cleanup` removes it. */
  create(): Promise<Store>;
}

export interface Store {
  url: string;
  open(options?: OpenJournalOptions): Promise<Journal>;
  cleanup(): Promise<void>;
}

/** PostgreSQL from the environment; SAFE_UPDATER_TEST_POSTGRES_URL points elsewhere when set. */
export function postgresUrl(): string {
  return process.env.SAFE_UPDATER_TEST_POSTGRES_URL ?? loadEnvironment().postgres.url;
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

function store(url: string, cleanup: () => Promise<void>): Store {
  return {
    url,
    async open(options) {
      const journal = await openJournal(url, options);
      await journal.migrate();
      return journal;
    },
    cleanup,
  };
}

export const sqliteMemory: Backend = {
  name: 'sqlite-memory',
  create: async () => store('sqlite::memory:', async () => undefined),
};

export const sqliteFile: Backend = {
  name: 'sqlite-file',
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'safe-updater-journal-'));
    return store(`sqlite://${join(dir, 'state.db')}`, async () =>
      rmSync(dir, { recursive: true, force: true }),
    );
  },
};

export const postgres: Backend = {
  name: 'postgres',
  async create() {
    const schema = uniqueName('test');
    const base = new URL(postgresUrl());
    base.searchParams.set('schema', schema);
    return store(base.toString(), async () => {
      const client = new pg.Client({ connectionString: postgresUrl() });
      await client.connect();
      try {
        await client.query(`drop schema if exists "${schema}" cascade`);
      } finally {
        await client.end();
      }
    });
  },
};

export const ALL_BACKENDS: readonly Backend[] = [sqliteMemory, sqliteFile, postgres];
/** Backends another process can share. */
export const SHARED_BACKENDS: readonly Backend[] = [sqliteFile, postgres];
