/** The journal over SQLite or PostgreSQL (kysely). */
import { NotImplementedError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Journal } from './types.js';

export const DEFAULT_JOURNAL_URL = 'sqlite://.safe-updater/state.db';

export interface OpenJournalOptions {
  logger?: Logger;
}

export async function openJournal(url: string, _options: OpenJournalOptions = {}): Promise<Journal> {
  throw new NotImplementedError(`the journal is not built yet (${url})`);
}
