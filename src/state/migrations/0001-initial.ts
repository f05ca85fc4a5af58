/**
 * The journal's first schema. One definition for SQLite and PostgreSQL: timestamps are ISO-8601 UTC text
 * (24 characters, so they sort and compare as text on both), JSON is text, booleans are 0/1 integers; only
 * auto-increment keys differ by dialect.
 */
import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { Migration } from './index.js';

export const initial: Migration = {
  version: 1,
  name: 'initial',
  async up(db: Kysely<unknown>, dialect) {
    // SQLite: INTEGER PRIMARY KEY AUTOINCREMENT; PostgreSQL: SERIAL PRIMARY KEY (it has no AUTO_INCREMENT).
    const serial = dialect === 'postgres' ? 'serial' : 'integer';
    const key = <T extends ColumnDefinitionBuilder>(c: T): T =>
      (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()) as T;
    await db.schema
      .createTable('assets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('namespace', 'text', (c) => c.notNull())
      .addColumn('paused', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('paused_reason', 'text')
      .addColumn('last_seen_at', 'text')
      .addColumn('snapshot', 'text')
      .execute();

    await db.schema
      .createTable('updates')
      .addColumn('seq', serial, key)
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('asset_id', 'text', (c) => c.notNull())
      .addColumn('asset_kind', 'text', (c) => c.notNull())
      .addColumn('from_version', 'text', (c) => c.notNull())
      .addColumn('from_digest', 'text')
      .addColumn('to_version', 'text', (c) => c.notNull())
      .addColumn('to_digest', 'text')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('origin', 'text', (c) => c.notNull())
      .addColumn('requested_by', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('facts', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('updates_asset_seq').on('updates').columns(['asset_id', 'seq']).execute();
    await db.schema.createIndex('updates_state').on('updates').column('state').execute();

    await db.schema
      .createTable('transitions')
      .addColumn('seq', serial, key)
      .addColumn('update_id', 'text', (c) => c.notNull())
      .addColumn('from_state', 'text')
      .addColumn('to_state', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('message', 'text')
      .execute();
    await db.schema
      .createIndex('transitions_update')
      .on('transitions')
      .columns(['update_id', 'seq'])
      .execute();
    await db.schema.createIndex('transitions_to_at').on('transitions').columns(['to_state', 'at']).execute();

    await db.schema
      .createTable('failed_versions')
      .addColumn('seq', serial, key)
      .addColumn('asset_id', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('digest', 'text')
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('failed_versions_asset')
      .on('failed_versions')
      .columns(['asset_id', 'version'])
      .execute();

    await db.schema
      .createTable('audit_events')
      .addColumn('id', serial, key)
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('asset_id', 'text')
      .addColumn('update_id', 'text')
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull().defaultTo('{}'))
      .execute();
    await db.schema
      .createIndex('audit_events_asset')
      .on('audit_events')
      .columns(['asset_id', 'id'])
      .execute();
    await db.schema
      .createIndex('audit_events_update')
      .on('audit_events')
      .columns(['update_id', 'id'])
      .execute();

    await db.schema
      .createTable('approvals')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('asset_id', 'text', (c) => c.notNull())
      .addColumn('to_version', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('requested_at', 'text', (c) => c.notNull())
      .addColumn('deadline', 'text')
      .addColumn('decided_by', 'text')
      .addColumn('decided_at', 'text')
      .addColumn('comment', 'text')
      .execute();

    await db.schema
      .createTable('outbox')
      .addColumn('id', serial, key)
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'text', (c) => c.notNull())
      .addColumn('delivered_at', 'text')
      .addColumn('last_error', 'text')
      .execute();
    await db.schema
      .createIndex('outbox_due')
      .on('outbox')
      .columns(['delivered_at', 'next_attempt_at'])
      .execute();

    await db.schema
      .createTable('leases')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('holder', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
  },
};
