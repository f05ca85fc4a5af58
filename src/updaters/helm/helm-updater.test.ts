import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import { ConflictError, UsageError } from '../../core/errors.js';
import type { Asset } from '../../core/model.js';
import { HelmClient } from '../../helm/helm-client.js';
import type { Workloads } from '../../kubernetes/workloads.js';
import { HelmUpdater } from './helm-updater.js';

/**
 * A stand-in helm that answers `status` with a given release and `get values` with given values, and records
 * what `upgrade` received: its argv and the mode and content of the values file while helm runs.
 */
function fakeHelm(release: object, values: object) {
  const dir = mkdtempSync(join(tmpdir(), 'fake-helm-'));
  const binary = join(dir, 'helm');
  writeFileSync(join(dir, 'status.json'), JSON.stringify(release));
  writeFileSync(join(dir, 'values.json'), JSON.stringify(values));
  writeFileSync(
    binary,
    `#!/bin/sh
case "$1" in
  version) printf v3.17.2 ;;
  status) cat '${dir}/status.json' ;;
  get) cat '${dir}/values.json' ;;
  upgrade)
    printf '%s\\n' "$@" > '${dir}/upgrade-args'
    while [ $# -gt 0 ]; do
      if [ "$1" = --values ]; then stat -c %a "$2" > '${dir}/values-mode'; cat "$2" > '${dir}/values-seen'; fi
      shift
    done
    cat '${dir}/status.json' ;;
esac
`,
  );
  chmodSync(binary, 0o755);
  return { binary, read: (name: string) => readFileSync(join(dir, name), 'utf8') };
}

const asset: Asset = {
  id: 'helm/prod/web',
  kind: 'helm',
  name: 'web',
  namespace: 'prod',
  current: { version: '1.0.0' },
  source: { type: 'helm-repo', repoUrl: 'http://charts', chart: 'demo-app' },
  release: { name: 'web', revision: 3, status: 'deployed', chart: 'demo-app' },
  labels: {},
  annotations: {},
  policy: 'minor',
  healthChecks: [],
};

const release = (status: string, lastDeployed: string) => ({
  name: 'web',
  namespace: 'prod',
  version: 3,
  info: { status, last_deployed: lastDeployed },
  chart: { metadata: { name: 'demo-app', version: '1.0.0' } },
  manifest: '',
});

const noWorkloads = {} as Workloads;
const ctx = { timeoutMs: 1000 };

describe('HelmUpdater', () => {
  it('journals revision, chart, version and status as the undo plan, never the values (they may hold secrets)', async () => {
    const helm = fakeHelm(release('deployed', '2026-01-01T00:00:00Z'), { replicaCount: 2 });
    const updater = new HelmUpdater({
      helm: new HelmClient({ binary: helm.binary }),
      workloads: noWorkloads,
    });
    expect(await updater.prepare(asset, { version: '1.1.0' }, ctx)).toEqual({
      revision: 3,
      chart: 'demo-app',
      version: '1.0.0',
      status: 'deployed',
    });
  });

  it('upgrades with the release values from a 0600 file and --reset-values, without --wait or --reuse-values', async () => {
    const helm = fakeHelm(release('deployed', '2026-01-01T00:00:00Z'), { secret: 's3cret' });
    const updater = new HelmUpdater({
      helm: new HelmClient({ binary: helm.binary }),
      workloads: noWorkloads,
      helmTimeoutMs: 120_000,
      historyMax: 7,
    });
    await updater.apply(asset, { version: '1.1.0' }, { revision: 3 }, ctx);
    const args = helm.read('upgrade-args').split('\n');
    expect(args.slice(0, 5)).toEqual(['upgrade', 'web', 'demo-app', '--repo', 'http://charts']);
    expect(args).toEqual(
      expect.arrayContaining([
        '--version',
        '1.1.0',
        '--reset-values',
        '--timeout',
        '120s',
        '--history-max',
        '7',
      ]),
    );
    expect(args).not.toContain('--wait');
    expect(args).not.toContain('--reuse-values');
    expect(args).not.toContain('--atomic');
    expect(helm.read('values-mode').trim()).toBe('600');
    expect(JSON.parse(helm.read('values-seen'))).toEqual({ secret: 's3cret' });
    const valuesFile = args[args.indexOf('--values') + 1] ?? '';
    expect(existsSync(valuesFile)).toBe(false);
  });

  it('refuses a pending release, telling a stale one apart by its age', async () => {
    const clock = new ManualClock(new Date('2026-01-01T01:00:00Z'));
    const helm = fakeHelm(release('pending-upgrade', '2026-01-01T00:50:00Z'), {});
    const client = new HelmClient({ binary: helm.binary });
    const young = new HelmUpdater({ helm: client, workloads: noWorkloads, clock, staleAfterMs: 15 * 60_000 });
    expect(await young.inspectLock(asset)).toMatchObject({
      pending: true,
      stale: false,
      status: 'pending-upgrade',
    });
    await expect(young.validate(asset, { version: '1.1.0' }, ctx)).rejects.toThrow(ConflictError);
    await expect(young.unlockStale(asset, { lockHeld: true })).rejects.toThrow(/not stale/);
    const old = new HelmUpdater({ helm: client, workloads: noWorkloads, clock, staleAfterMs: 5 * 60_000 });
    expect((await old.inspectLock(asset)).stale).toBe(true);
  });

  it('refuses a target that is not a chart version before touching helm', async () => {
    const updater = new HelmUpdater({
      helm: new HelmClient({ binary: '/nonexistent' }),
      workloads: noWorkloads,
    });
    await expect(updater.validate(asset, { version: 'latest; rm -rf /' }, ctx)).rejects.toThrow(UsageError);
  });
});
