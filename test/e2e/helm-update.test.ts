/**
 * Helm releases updated through the real CLI, with Helm 3 and with Helm 4: a healthy upgrade succeeds with
 * its transitions and audit trail; an upgrade whose pods crashloop is detected, rolled back (exit 3), and
 * the version is remembered so that `plan` stops proposing it and `update` refuses it (exit 4).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadEnvironment } from '../support/env.js';
import { clients, createNamespace, deleteNamespace } from '../kubernetes/cluster.js';
import {
  createWorkspace,
  historyUpdates,
  installRelease,
  liveTag,
  said,
  waitForDeployment,
  type Workspace,
} from './support.js';

const HELM_BINARIES = ['helm3', 'helm4'] as const;

describe.each(HELM_BINARIES)('Helm release updates with %s', (helm) => {
  const kube = clients();
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  async function setUp(
    prefix: string,
    installed: string,
  ): Promise<{ ns: string; ws: Workspace; id: string }> {
    const env = loadEnvironment();
    const ns = await createNamespace(kube, `e2e-${prefix}-${helm}`);
    cleanups.push(() => deleteNamespace(kube, ns));
    const id = `helm/${ns}/web`;
    const ws = createWorkspace({
      helm,
      namespaces: [ns],
      defaultPolicy: 'all',
      policies: { 'up-to-1-2': { allow: ['patch', 'minor', 'major'], pin: '>=1.0.0 <1.3.0' } },
      assets: [
        {
          id,
          source: { helmRepo: env.chartRepos.anonymous, chart: env.fixtures.chart },
          policy: 'up-to-1-2',
        },
      ],
    });
    cleanups.push(() => ws.cleanup());
    await installRelease(helm, ns, 'web', installed);
    await waitForDeployment(ns, 'web', env.fixtures.chartVersions[installed]);
    return { ns, ws, id };
  }

  it('upgrades a release to a healthy chart version: succeeded, journaled and audited', async () => {
    const { ns, ws, id } = await setUp('ok', '1.0.0');

    const update = await ws.cli(['update', id, '--to-version', '1.1.0']);
    expect(update.code, said(update)).toBe(0);
    expect(update.json).toMatchObject({
      outcome: 'succeeded',
      update: { fromVersion: '1.0.0', toVersion: '1.1.0' },
    });
    expect(await liveTag(ns, 'Deployment', 'web')).toBe('1.1.0');

    const history = await ws.cli(['history', id]);
    expect(history.code, said(history)).toBe(0);
    const [latest] = historyUpdates(history);
    expect(latest?.state).toBe('succeeded');
    expect(latest?.transitions.map((t) => t.to)).toEqual([
      'queued',
      'validating',
      'applying',
      'verifying',
      'succeeded',
    ]);

    const journal = await ws.journal();
    const events = (await journal.auditEvents({ assetId: id })).map((e) => e.type);
    expect(events).toEqual(expect.arrayContaining(['update.started', 'update.succeeded']));

    // A manual rollback to Helm revision 1 is journaled with the chart version that revision holds.
    const rollback = await ws.cli(['rollback', id, '--revision', '1']);
    expect(rollback.code, said(rollback)).toBe(0);
    expect(rollback.json).toMatchObject({ update: { fromVersion: '1.1.0', toVersion: '1.0.0' } });
    await waitForDeployment(ns, 'web', loadEnvironment().fixtures.chartVersions['1.0.0']);
    const missing = await ws.cli(['rollback', id, '--revision', '99']);
    expect(missing.code, said(missing)).toBe(8);
    expect(said(missing)).toMatch(/has no revision 99/);
  });

  it('rolls back a crashlooping upgrade, remembers the version, and neither plan nor update tries it again', async () => {
    const { ns, ws, id } = await setUp('crash', '1.1.0');

    const before = await ws.cli(['plan', id]);
    const proposed = (
      before.json?.assets as
        { id: string; decision?: { target?: { version: string }; verdict: string } }[] | undefined
    )?.find((a) => a.id === id);
    expect(proposed?.decision, said(before)).toMatchObject({ verdict: 'auto' });
    expect(JSON.stringify(proposed?.decision)).toContain('1.2.0');

    const update = await ws.cli(['update', id, '--to-version', '1.2.0']);
    expect(update.code, said(update)).toBe(3);
    expect(update.json).toMatchObject({ outcome: 'rolled-back', update: { state: 'rolled-back' } });
    expect(String((update.json?.update as { reason?: string }).reason)).toMatch(/CrashLoopBackOff|restart/i);
    await waitForDeployment(ns, 'web', '1.1.0');

    const after = await ws.cli(['plan', id]);
    const again = (after.json?.assets as { id: string; decision?: { verdict: string } }[] | undefined)?.find(
      (a) => a.id === id,
    );
    expect(again, said(after)).toBeDefined();
    expect(again?.decision?.verdict ?? 'none').not.toBe('auto');

    const refused = await ws.cli(['update', id, '--to-version', '1.2.0']);
    expect(refused.code, said(refused)).toBe(4);
    expect(await liveTag(ns, 'Deployment', 'web')).toBe('1.1.0');
  });
});
