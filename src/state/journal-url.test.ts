import { describe, expect, it } from 'vitest';
import { ConfigError, ExternalHostError, UsageError } from '../core/errors.js';
import { parseAssetId } from './asset-id.js';
import { openJournal, parseJournalUrl } from './journal.js';

describe('parseJournalUrl', () => {
  it('reads SQLite URLs relative to the working directory', () => {
    expect(parseJournalUrl('sqlite::memory:')).toEqual({ dialect: 'sqlite', path: ':memory:' });
    expect(parseJournalUrl('sqlite://.safe-updater/state.db', '/srv')).toEqual({
      dialect: 'sqlite',
      path: '/srv/.safe-updater/state.db',
    });
    expect(parseJournalUrl('sqlite:///var/lib/su.db', '/srv')).toEqual({
      dialect: 'sqlite',
      path: '/var/lib/su.db',
    });
    expect(parseJournalUrl('sqlite:state.db', '/srv')).toEqual({ dialect: 'sqlite', path: '/srv/state.db' });
  });

  it('takes the PostgreSQL schema out of the connection string', () => {
    expect(parseJournalUrl('postgres://u:p@db:5432/su?schema=team_a&sslmode=disable')).toEqual({
      dialect: 'postgres',
      connectionString: 'postgres://u:p@db:5432/su?sslmode=disable',
      schema: 'team_a',
    });
    expect(parseJournalUrl('postgresql://db/su')).toMatchObject({ dialect: 'postgres', schema: undefined });
  });

  it('refuses unknown URLs and unsafe schema names without echoing passwords', () => {
    expect(() => parseJournalUrl('mysql://u:secret@db/su')).toThrow(ConfigError);
    expect(() => parseJournalUrl('mysql://u:secret@db/su')).toThrow(/^(?!.*secret)/);
    expect(() => parseJournalUrl('postgres://db/su?schema=a;drop')).toThrow(/invalid PostgreSQL schema name/);
    expect(() => parseJournalUrl('sqlite://')).toThrow(ConfigError);
  });

  it('reports an unreachable PostgreSQL as an unavailable external host', async () => {
    const error = await openJournal('postgres://u:hunter2@127.0.0.1:1/su').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalHostError);
    expect((error as Error).message).toMatch(/^cannot reach the PostgreSQL journal at 127\.0\.0\.1:1/);
    expect((error as Error).message).not.toContain('hunter2');
  });
});

describe('parseAssetId', () => {
  it('reads the three forms', () => {
    expect(parseAssetId('helm/prod/web')).toEqual({ kind: 'helm', namespace: 'prod', name: 'web' });
    expect(parseAssetId('docker/host-1/nginx')).toEqual({
      kind: 'docker',
      namespace: 'host-1',
      name: 'nginx',
    });
    expect(parseAssetId('k8s/prod/deployment/api/container/app')).toEqual({
      kind: 'kubernetes',
      namespace: 'prod',
      name: 'api',
    });
  });

  it.each(['web', 'helm/prod', 'helm//web', 'k8s/prod/deployment/api/app', 'nomad/a/b'])(
    'refuses %j',
    (id) => {
      expect(() => parseAssetId(id)).toThrow(UsageError);
    },
  );
});
