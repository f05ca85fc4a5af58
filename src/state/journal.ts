/**
 * The journal (src/state/types.ts) over SQLite (better-sqlite3) or PostgreSQL (pg), one kysely query layer.
 *
 * Durability and concurrency:
 * - SQLite runs in WAL mode with synchronous=FULL (a committed transition survives power loss) and a busy
 *   timeout; every write transaction starts with BEGIN IMMEDIATE, so two processes never both read-then-write
 *   (a deferred BEGIN would fail with SQLITE_BUSY on the upgrade instead of waiting).
 * - PostgreSQL runs each write in a READ COMMITTED transaction; compare-and-set updates carry the expected
 *   state in their WHERE clause, so a concurrent writer re-checks it after waiting for the row lock.
 * - Leases are one INSERT … ON CONFLICT DO UPDATE … WHERE (free, expired or ours), atomic on both dialects.
 * - Migrations are our own small runner rather than kysely's Migrator, whose SQLite adapter does not lock
 *   across processes: here they run inside BEGIN IMMEDIATE (SQLite) or under an advisory lock (PostgreSQL).
 */
import { mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type Generated, type Selectable } from 'kysely';
import pg from 'pg';
import { systemClock, type Clock } from '../core/clock.js';
import { ConfigError, ConflictError, ExternalHostError, NotFoundError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Asset, AssetKind } from '../core/model.js';
import { redact, redactString } from '../core/redact.js';
import { canTransition, nextStates, type UpdateState } from '../core/update-state.js';
import { parseAssetId } from './asset-id.js';
import { MIGRATIONS } from './migrations/index.js';
import type {
  Approval,
  ApprovalState,
  AssetRow,
  AuditEvent,
  FailedVersion,
  Journal,
  Lease,
  NewUpdate,
  OutboxMessage,
  Transition,
  TransitionOptions,
  UpdateOrigin,
  UpdateRecord,
} from './types.js';

export const DEFAULT_JOURNAL_URL = 'sqlite://.safe-updater/state.db';

/** How long a SQLite writer waits for another process's write transaction before giving up. */
const SQLITE_BUSY_TIMEOUT_MS = 15_000;

export interface OpenJournalOptions {
  logger?: Logger;
  /** Timestamps of records, transitions and audit events; default the system clock. */
  clock?: Clock;
  /** Relative SQLite paths are resolved from here; default process.cwd(). */
  cwd?: string;
  /**
   * Test seam: awaited inside every write transaction just before COMMIT, so a test can kill the process
   * while the transaction is open. Never set outside tests.
   */
  beforeCommit?: () => Promise<void>;
}

/** A transition the state machine does not allow (src/core/update-state.ts). */
export class IllegalTransitionError extends ConflictError {}

interface AssetsTable {
  id: string;
  kind: string;
  name: string;
  namespace: string;
  paused: Generated<number>;
  paused_reason: string | null;
  last_seen_at: string | null;
  snapshot: string | null;
}

interface UpdatesTable {
  seq: Generated<number>;
  id: string;
  asset_id: string;
  asset_kind: string;
  from_version: string;
  from_digest: string | null;
  to_version: string;
  to_digest: string | null;
  state: string;
  origin: string;
  requested_by: string;
  reason: string | null;
  facts: string;
  created_at: string;
  updated_at: string;
}

interface TransitionsTable {
  seq: Generated<number>;
  update_id: string;
  from_state: string | null;
  to_state: string;
  at: string;
  message: string | null;
}

interface FailedVersionsTable {
  seq: Generated<number>;
  asset_id: string;
  version: string;
  digest: string | null;
  reason: string;
  at: string;
}

interface AuditEventsTable {
  id: Generated<number>;
  at: string;
  asset_id: string | null;
  update_id: string | null;
  type: string;
  actor: string;
  data: string;
}

interface ApprovalsTable {
  id: string;
  asset_id: string;
  to_version: string;
  state: string;
  requested_at: string;
  deadline: string | null;
  decided_by: string | null;
  decided_at: string | null;
  comment: string | null;
}

interface OutboxTable {
  id: Generated<number>;
  channel: string;
  event: string;
  payload: string;
  attempts: Generated<number>;
  next_attempt_at: string;
  delivered_at: string | null;
  last_error: string | null;
}

interface LeasesTable {
  name: string;
  holder: string;
  expires_at: string;
}

interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: string;
}

interface Tables {
  assets: AssetsTable;
  updates: UpdatesTable;
  transitions: TransitionsTable;
  failed_versions: FailedVersionsTable;
  audit_events: AuditEventsTable;
  approvals: ApprovalsTable;
  outbox: OutboxTable;
  leases: LeasesTable;
  schema_migrations: SchemaMigrationsTable;
}

type Db = Kysely<Tables>;

/** Where a journal URL points. */
export type JournalLocation =
  | { dialect: 'sqlite'; path: string }
  | { dialect: 'postgres'; connectionString: string; schema: string | undefined };

/**
 * `sqlite::memory:`, `sqlite://relative/path.db`, `sqlite:///absolute/path.db`, `sqlite:path.db`,
 * `postgres://user:pw@host:5432/db?schema=name` (also `postgresql://`).
 */
export function parseJournalUrl(url: string, cwd: string = process.cwd()): JournalLocation {
  if (url === 'sqlite::memory:' || url === 'sqlite://:memory:')
    return { dialect: 'sqlite', path: ':memory:' };
  if (url.startsWith('sqlite:')) {
    const path = url.replace(/^sqlite:(\/\/)?/, '');
    if (path === '')
      throw new ConfigError(`journal URL ${url} names no file`, {
        hint: 'e.g. sqlite://.safe-updater/state.db',
      });
    return { dialect: 'sqlite', path: resolve(cwd, path) };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const parsed = new URL(url);
    const schema = parsed.searchParams.get('schema') ?? undefined;
    if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
      throw new ConfigError(`invalid PostgreSQL schema name "${schema}" in the journal URL`, {
        hint: 'letters, digits and underscores, not starting with a digit',
      });
    }
    parsed.searchParams.delete('schema');
    return { dialect: 'postgres', connectionString: parsed.toString(), schema };
  }
  throw new ConfigError(`unsupported journal URL ${redactString(url)}`, {
    hint: 'use sqlite://PATH, sqlite::memory: or postgres://user:password@host:5432/db?schema=name',
  });
}

/** Opens the journal at `url`. Call migrate() before use (the CLI does). */
export async function openJournal(url: string, options: OpenJournalOptions = {}): Promise<Journal> {
  const location = parseJournalUrl(url, options.cwd);
  if (location.dialect === 'sqlite') {
    if (location.path !== ':memory:') mkdirSync(dirname(location.path), { recursive: true });
    let database: Database.Database;
    try {
      database = new Database(location.path, { timeout: SQLITE_BUSY_TIMEOUT_MS });
      database.pragma('journal_mode = WAL');
      database.pragma('synchronous = FULL');
    } catch (error) {
      throw new ExternalHostError(
        location.path,
        `cannot open the SQLite journal ${location.path}: ${(error as Error).message}`,
        {
          cause: error,
          transient: false,
        },
      );
    }
    const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database }) });
    return new KyselyJournal(db, 'sqlite', undefined, options);
  }
  const pool = new pg.Pool({
    connectionString: location.connectionString,
    max: 4,
    connectionTimeoutMillis: 15_000,
    ...(location.schema === undefined ? {} : { options: `-c search_path=${location.schema}` }),
  });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', (error) => options.logger?.warn({ err: error }, 'PostgreSQL connection lost'));
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  const journal = new KyselyJournal(db, 'postgres', location.schema, options);
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    await db.destroy().catch(() => undefined);
    const host = new URL(location.connectionString).host;
    throw new ExternalHostError(
      host,
      `cannot reach the PostgreSQL journal at ${host}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return journal;
}

class KyselyJournal implements Journal {
  private readonly clock: Clock;

  constructor(
    private readonly db: Db,
    readonly dialect: 'sqlite' | 'postgres',
    private readonly schema: string | undefined,
    private readonly options: OpenJournalOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** Runs `work` in a write transaction: BEGIN IMMEDIATE on SQLite, a plain transaction on PostgreSQL. */
  private async write<T>(work: (q: Db) => Promise<T>): Promise<T> {
    const run = async (q: Db): Promise<T> => {
      const result = await work(q);
      if (this.options.beforeCommit) await this.options.beforeCommit();
      return result;
    };
    if (this.dialect === 'postgres') return this.db.transaction().execute(run);
    return this.db.connection().execute(async (connection) => {
      await sql`begin immediate`.execute(connection);
      try {
        const result = await run(connection);
        await sql`commit`.execute(connection);
        return result;
      } catch (error) {
        await sql`rollback`.execute(connection).catch(() => undefined);
        throw error;
      }
    });
  }

  private now(): string {
    return this.clock.now().toISOString();
  }

  async migrate(): Promise<void> {
    await this.write(async (q) => {
      if (this.dialect === 'postgres') {
        // Serialises migrators of the same schema; CREATE SCHEMA IF NOT EXISTS alone races.
        await sql`select pg_advisory_xact_lock(hashtext(${`safe-updater:migrate:${this.schema ?? ''}`}))`.execute(
          q,
        );
        if (this.schema !== undefined)
          await sql`create schema if not exists ${sql.id(this.schema)}`.execute(q);
      }
      await q.schema
        .createTable('schema_migrations')
        .ifNotExists()
        .addColumn('version', 'integer', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('applied_at', 'text', (c) => c.notNull())
        .execute();
      const applied = new Set(
        (await q.selectFrom('schema_migrations').select('version').execute()).map((r) => r.version),
      );
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        await migration.up(q as unknown as Kysely<unknown>, this.dialect);
        await q
          .insertInto('schema_migrations')
          .values({ version: migration.version, name: migration.name, applied_at: this.now() })
          .execute();
        this.options.logger?.info({ version: migration.version, name: migration.name }, 'journal migrated');
      }
    });
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  // ── assets ────────────────────────────────────────────────────────────────────────────────────────────

  async upsertAssets(assets: Asset[], seenAt: Date): Promise<void> {
    if (assets.length === 0) return;
    await this.write(async (q) => {
      for (const asset of assets) {
        const row = {
          id: asset.id,
          kind: asset.kind,
          name: asset.name,
          namespace: asset.namespace,
          last_seen_at: seenAt.toISOString(),
          snapshot: JSON.stringify(asset),
        };
        await q
          .insertInto('assets')
          .values(row)
          .onConflict((oc) =>
            oc.column('id').doUpdateSet({
              kind: row.kind,
              name: row.name,
              namespace: row.namespace,
              last_seen_at: row.last_seen_at,
              snapshot: row.snapshot,
            }),
          )
          .execute();
      }
    });
  }

  async getAsset(id: string): Promise<AssetRow | undefined> {
    const row = await this.db.selectFrom('assets').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toAssetRow(row);
  }

  async listAssets(): Promise<AssetRow[]> {
    const rows = await this.db.selectFrom('assets').selectAll().orderBy('id').execute();
    return rows.map(toAssetRow);
  }

  async setPaused(assetId: string, paused: boolean, reason: string | null, actor: string): Promise<void> {
    await this.write(async (q) => {
      const existing = await q.selectFrom('assets').select('id').where('id', '=', assetId).executeTakeFirst();
      if (!existing) {
        // Pausing an asset before its first scan is allowed: the row is made from its id.
        const parts = parseAssetId(assetId);
        await q
          .insertInto('assets')
          .values({ id: assetId, kind: parts.kind, name: parts.name, namespace: parts.namespace, paused: 0 })
          .execute();
      }
      await q
        .updateTable('assets')
        .set({ paused: paused ? 1 : 0, paused_reason: paused ? reason : null })
        .where('id', '=', assetId)
        .execute();
      await this.insertAudit(q, {
        at: this.clock.now(),
        assetId,
        updateId: null,
        type: paused ? 'asset.paused' : 'asset.resumed',
        actor,
        data: reason === null ? {} : { reason },
      });
    });
  }

  // ── updates and transitions ───────────────────────────────────────────────────────────────────────────

  async createUpdate(update: NewUpdate): Promise<UpdateRecord> {
    const id = randomUUID();
    const state = update.state ?? 'queued';
    await this.write(async (q) => {
      if (this.dialect === 'postgres') {
        // READ COMMITTED would let two writers both see "no active update"; this serialises them per asset.
        await sql`select pg_advisory_xact_lock(hashtext(${`safe-updater:asset:${update.assetId}`}))`.execute(
          q,
        );
      }
      const running = await q
        .selectFrom('updates')
        .select(['id', 'state'])
        .where('asset_id', '=', update.assetId)
        .where('state', 'in', ACTIVE_STATES)
        .executeTakeFirst();
      if (running) {
        throw new ConflictError(
          `${update.assetId} already has update ${running.id} in state ${running.state}`,
          {
            hint: 'one update per asset at a time: wait for it, or cancel it',
          },
        );
      }
      const at = this.now();
      await q
        .insertInto('updates')
        .values({
          id,
          asset_id: update.assetId,
          asset_kind: update.assetKind,
          from_version: update.fromVersion,
          from_digest: update.fromDigest ?? null,
          to_version: update.toVersion,
          to_digest: update.toDigest ?? null,
          state,
          origin: update.origin,
          requested_by: update.requestedBy,
          reason: null,
          facts: JSON.stringify(update.facts ?? {}),
          created_at: at,
          updated_at: at,
        })
        .execute();
      await q
        .insertInto('transitions')
        .values({ update_id: id, from_state: null, to_state: state, at, message: null })
        .execute();
    });
    return this.requireUpdate(this.db, id);
  }

  async transition(
    id: string,
    from: UpdateState,
    to: UpdateState,
    options: TransitionOptions = {},
  ): Promise<UpdateRecord> {
    if (!canTransition(from, to)) {
      const allowed = nextStates(from);
      throw new IllegalTransitionError(`illegal transition of update ${id}: ${from} → ${to}`, {
        hint:
          allowed.length === 0
            ? `${from} is final`
            : `from ${from} an update may go to ${allowed.join(', ')}`,
      });
    }
    return this.write(async (q) => {
      const current = await this.requireUpdate(q, id);
      if (current.state !== from) {
        throw new ConflictError(`update ${id} is ${current.state}, not ${from}: another writer moved it`, {
          hint: 'reload the record and decide again',
        });
      }
      const at = this.now();
      const facts = options.facts === undefined ? current.facts : { ...current.facts, ...options.facts };
      const result = await q
        .updateTable('updates')
        .set({
          state: to,
          updated_at: at,
          facts: JSON.stringify(facts),
          ...(options.reason === undefined ? {} : { reason: options.reason }),
        })
        .where('id', '=', id)
        .where('state', '=', from)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) {
        throw new ConflictError(`update ${id} left state ${from} while it was being moved to ${to}`);
      }
      await q
        .insertInto('transitions')
        .values({ update_id: id, from_state: from, to_state: to, at, message: options.message ?? null })
        .execute();
      return this.requireUpdate(q, id);
    });
  }

  private async requireUpdate(q: Db, id: string): Promise<UpdateRecord> {
    const row = await q.selectFrom('updates').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError(`no update ${id} in the journal`);
    return toUpdateRecord(row);
  }

  async getUpdate(id: string): Promise<UpdateRecord | undefined> {
    const row = await this.db.selectFrom('updates').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toUpdateRecord(row);
  }

  async listUpdates(
    filter: { assetId?: string; states?: UpdateState[]; limit?: number } = {},
  ): Promise<UpdateRecord[]> {
    let query = this.db.selectFrom('updates').selectAll().orderBy('seq', 'desc');
    if (filter.assetId !== undefined) query = query.where('asset_id', '=', filter.assetId);
    if (filter.states !== undefined) {
      if (filter.states.length === 0) return [];
      query = query.where('state', 'in', filter.states);
    }
    if (filter.limit !== undefined) query = query.limit(filter.limit);
    return (await query.execute()).map(toUpdateRecord);
  }

  async latestUpdatePerAsset(): Promise<Map<string, UpdateRecord>> {
    const rows = await this.db
      .selectFrom('updates as u')
      .selectAll('u')
      .where('u.seq', '=', (eb) =>
        eb
          .selectFrom('updates as newest')
          .select((e) => e.fn.max('newest.seq').as('seq'))
          .whereRef('newest.asset_id', '=', 'u.asset_id'),
      )
      .orderBy('u.asset_id')
      .execute();
    return new Map(rows.map((row) => [row.asset_id, toUpdateRecord(row)]));
  }

  async transitions(updateId: string): Promise<Transition[]> {
    const rows = await this.db
      .selectFrom('transitions')
      .selectAll()
      .where('update_id', '=', updateId)
      .orderBy('seq')
      .execute();
    return rows.map((row) => ({
      updateId: row.update_id,
      from: row.from_state as UpdateState | null,
      to: row.to_state as UpdateState,
      at: new Date(row.at),
      message: row.message,
    }));
  }

  // ── failed versions and rollbacks ─────────────────────────────────────────────────────────────────────

  async rememberFailedVersion(entry: FailedVersion): Promise<void> {
    await this.write(async (q) => {
      let remove = q
        .deleteFrom('failed_versions')
        .where('asset_id', '=', entry.assetId)
        .where('version', '=', entry.version);
      remove =
        entry.digest === null
          ? remove.where('digest', 'is', null)
          : remove.where('digest', '=', entry.digest);
      await remove.execute();
      await q
        .insertInto('failed_versions')
        .values({
          asset_id: entry.assetId,
          version: entry.version,
          digest: entry.digest,
          reason: entry.reason,
          at: entry.at.toISOString(),
        })
        .execute();
    });
  }

  async failedVersions(assetId: string): Promise<FailedVersion[]> {
    const rows = await this.db
      .selectFrom('failed_versions')
      .selectAll()
      .where('asset_id', '=', assetId)
      .orderBy('seq')
      .execute();
    return rows.map((row) => ({
      assetId: row.asset_id,
      version: row.version,
      digest: row.digest,
      reason: row.reason,
      at: new Date(row.at),
    }));
  }

  async forgetFailedVersions(assetId: string): Promise<number> {
    return this.write(async (q) => {
      const result = await q.deleteFrom('failed_versions').where('asset_id', '=', assetId).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  async countRollbacksSince(assetId: string, since: Date): Promise<number> {
    const row = await this.db
      .selectFrom('transitions as t')
      .innerJoin('updates as u', 'u.id', 't.update_id')
      .select((eb) => eb.fn.countAll().as('count'))
      .where('u.asset_id', '=', assetId)
      .where('t.to_state', '=', 'rolling-back')
      .where('t.at', '>=', since.toISOString())
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  // ── audit ─────────────────────────────────────────────────────────────────────────────────────────────

  async audit(event: AuditEvent): Promise<void> {
    await this.db.insertInto('audit_events').values(auditRow(event)).execute();
  }

  private async insertAudit(q: Db, event: AuditEvent): Promise<void> {
    await q.insertInto('audit_events').values(auditRow(event)).execute();
  }

  async auditEvents(
    filter: { assetId?: string; updateId?: string; limit?: number } = {},
  ): Promise<AuditEvent[]> {
    let query = this.db.selectFrom('audit_events').selectAll().orderBy('id', 'desc');
    if (filter.assetId !== undefined) query = query.where('asset_id', '=', filter.assetId);
    if (filter.updateId !== undefined) query = query.where('update_id', '=', filter.updateId);
    if (filter.limit !== undefined) query = query.limit(filter.limit);
    const rows = await query.execute();
    return rows.map((row) => ({
      id: row.id,
      at: new Date(row.at),
      assetId: row.asset_id,
      updateId: row.update_id,
      type: row.type,
      actor: row.actor,
      data: JSON.parse(row.data) as Record<string, unknown>,
    }));
  }

  // ── approvals ─────────────────────────────────────────────────────────────────────────────────────────

  async createApproval(
    approval: Omit<Approval, 'state' | 'decidedBy' | 'decidedAt' | 'comment'>,
  ): Promise<Approval> {
    await this.write(async (q) => {
      const existing = await q
        .selectFrom('approvals')
        .select('id')
        .where('id', '=', approval.id)
        .executeTakeFirst();
      if (existing) throw new ConflictError(`approval ${approval.id} exists already`);
      await q
        .insertInto('approvals')
        .values({
          id: approval.id,
          asset_id: approval.assetId,
          to_version: approval.toVersion,
          state: 'pending',
          requested_at: approval.requestedAt.toISOString(),
          deadline: approval.deadline?.toISOString() ?? null,
        })
        .execute();
      await this.insertAudit(q, {
        at: this.clock.now(),
        assetId: approval.assetId,
        updateId: null,
        type: 'approval.requested',
        actor: 'safe-updater',
        data: { approvalId: approval.id, toVersion: approval.toVersion },
      });
    });
    return this.requireApproval(this.db, approval.id);
  }

  async decideApproval(
    id: string,
    state: 'approved' | 'rejected' | 'expired',
    actor: string,
    comment?: string,
  ): Promise<Approval> {
    return this.write(async (q) => {
      const current = await this.requireApproval(q, id);
      if (current.state !== 'pending') {
        throw new ConflictError(
          `approval ${id} is ${current.state} already${current.decidedBy ? ` (by ${current.decidedBy})` : ''}`,
          { hint: 'only pending approvals can be decided' },
        );
      }
      const result = await q
        .updateTable('approvals')
        .set({ state, decided_by: actor, decided_at: this.now(), comment: comment ?? null })
        .where('id', '=', id)
        .where('state', '=', 'pending')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1)
        throw new ConflictError(`approval ${id} was decided by someone else meanwhile`);
      await this.insertAudit(q, {
        at: this.clock.now(),
        assetId: current.assetId,
        updateId: null,
        type:
          state === 'approved'
            ? 'approval.granted'
            : state === 'rejected'
              ? 'approval.rejected'
              : 'approval.expired',
        actor,
        data: { approvalId: id, toVersion: current.toVersion, ...(comment === undefined ? {} : { comment }) },
      });
      return this.requireApproval(q, id);
    });
  }

  private async requireApproval(q: Db, id: string): Promise<Approval> {
    const row = await q.selectFrom('approvals').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row)
      throw new NotFoundError(`no approval ${id}`, { hint: '`safe-updater plan` lists pending approvals' });
    return toApproval(row);
  }

  async listApprovals(filter: { assetId?: string; state?: ApprovalState } = {}): Promise<Approval[]> {
    let query = this.db.selectFrom('approvals').selectAll().orderBy('requested_at', 'desc').orderBy('id');
    if (filter.assetId !== undefined) query = query.where('asset_id', '=', filter.assetId);
    if (filter.state !== undefined) query = query.where('state', '=', filter.state);
    return (await query.execute()).map(toApproval);
  }

  // ── notification outbox ───────────────────────────────────────────────────────────────────────────────

  async enqueueNotification(
    channel: string,
    event: string,
    payload: Record<string, unknown>,
    at: Date,
  ): Promise<void> {
    await this.db
      .insertInto('outbox')
      .values({ channel, event, payload: JSON.stringify(payload), next_attempt_at: at.toISOString() })
      .execute();
  }

  async dueNotifications(now: Date, limit: number): Promise<OutboxMessage[]> {
    const rows = await this.db
      .selectFrom('outbox')
      .selectAll()
      .where('delivered_at', 'is', null)
      .where('next_attempt_at', '<=', now.toISOString())
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      channel: row.channel,
      event: row.event,
      payload: JSON.parse(row.payload) as Record<string, unknown>,
      attempts: row.attempts,
      nextAttemptAt: new Date(row.next_attempt_at),
      deliveredAt: row.delivered_at === null ? null : new Date(row.delivered_at),
      lastError: row.last_error,
    }));
  }

  async markNotification(
    id: number,
    result: { deliveredAt?: Date; error?: string; nextAttemptAt?: Date },
  ): Promise<void> {
    await this.db
      .updateTable('outbox')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        ...(result.deliveredAt === undefined ? {} : { delivered_at: result.deliveredAt.toISOString() }),
        ...(result.error === undefined ? {} : { last_error: redactString(result.error) }),
        ...(result.nextAttemptAt === undefined
          ? {}
          : { next_attempt_at: result.nextAttemptAt.toISOString() }),
      }))
      .where('id', '=', id)
      .execute();
  }

  // ── leases ────────────────────────────────────────────────────────────────────────────────────────────

  async tryAcquireLease(name: string, holder: string, ttlMs: number, now: Date): Promise<boolean> {
    const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
    const taken = await this.write((q) =>
      q
        .insertInto('leases')
        .values({ name, holder, expires_at: expiresAt })
        .onConflict((oc) =>
          oc
            .column('name')
            .doUpdateSet({ holder, expires_at: expiresAt })
            .where((eb) =>
              eb.or([eb('leases.holder', '=', holder), eb('leases.expires_at', '<=', now.toISOString())]),
            ),
        )
        .returning('holder')
        .executeTakeFirst(),
    );
    return taken?.holder === holder;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
  }

  async getLease(name: string): Promise<Lease | undefined> {
    const row = await this.db.selectFrom('leases').selectAll().where('name', '=', name).executeTakeFirst();
    return row && { name: row.name, holder: row.holder, expiresAt: new Date(row.expires_at) };
  }
}

/** States in which an update still holds its asset. */
const ACTIVE_STATES: UpdateState[] = ['queued', 'validating', 'applying', 'verifying', 'rolling-back'];

function auditRow(event: AuditEvent): Omit<AuditEventsTable, 'id'> {
  return {
    at: event.at.toISOString(),
    asset_id: event.assetId,
    update_id: event.updateId,
    type: event.type,
    actor: event.actor,
    data: JSON.stringify(redact(event.data)),
  };
}

function toAssetRow(row: Selectable<AssetsTable>): AssetRow {
  return {
    id: row.id,
    kind: row.kind as AssetKind,
    name: row.name,
    namespace: row.namespace,
    paused: row.paused === 1,
    pausedReason: row.paused_reason,
    lastSeenAt: row.last_seen_at === null ? null : new Date(row.last_seen_at),
    snapshot: row.snapshot === null ? null : (JSON.parse(row.snapshot) as Asset),
  };
}

function toUpdateRecord(row: Selectable<UpdatesTable>): UpdateRecord {
  return {
    id: row.id,
    assetId: row.asset_id,
    assetKind: row.asset_kind as AssetKind,
    fromVersion: row.from_version,
    fromDigest: row.from_digest,
    toVersion: row.to_version,
    toDigest: row.to_digest,
    state: row.state as UpdateState,
    origin: row.origin as UpdateOrigin,
    requestedBy: row.requested_by,
    reason: row.reason,
    facts: JSON.parse(row.facts) as Record<string, unknown>,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function toApproval(row: Selectable<ApprovalsTable>): Approval {
  return {
    id: row.id,
    assetId: row.asset_id,
    toVersion: row.to_version,
    state: row.state as ApprovalState,
    requestedAt: new Date(row.requested_at),
    deadline: row.deadline === null ? null : new Date(row.deadline),
    decidedBy: row.decided_by,
    decidedAt: row.decided_at === null ? null : new Date(row.decided_at),
    comment: row.comment,
  };
}
