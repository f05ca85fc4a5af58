/**
 * The journal's versioned migrations, applied in order by src/state/journal.ts. Never edit a released
 * migration: add the next version.
 */
import type { Kysely } from 'kysely';
import { initial } from './0001-initial.js';

export interface Migration {
  /** 1, 2, 3, … without gaps. */
  version: number;
  name: string;
  up(db: Kysely<unknown>, dialect: 'sqlite' | 'postgres'): Promise<void>;
}

export const MIGRATIONS: readonly Migration[] = [initial];
