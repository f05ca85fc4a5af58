import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ConflictError } from '../core/errors.js';
import { HelmClient } from './helm-client.js';

/** A stand-in helm: answers `version` with the given text and records every other call's argv, one per line. */
function fakeHelm(version: string, stderr = ''): { binary: string; argsFile: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fake-helm-'));
  const binary = join(dir, 'helm');
  const argsFile = join(dir, 'args');
  writeFileSync(
    binary,
    [
      '#!/bin/sh',
      `if [ "$1" = version ]; then printf '%s' '${version}'; exit 0; fi`,
      `printf '%s\\n' "$@" > '${argsFile}'`,
      stderr ? `printf '%s\\n' '${stderr}' >&2; exit 1` : `printf '[]'`,
    ].join('\n'),
  );
  chmodSync(binary, 0o755);
  return { binary, argsFile, dir };
}

describe('HelmClient', () => {
  it('gives a clear ConfigError when the helm binary is missing', async () => {
    const client = new HelmClient({ binary: '/nonexistent/helm' });
    await expect(client.version()).rejects.toThrow(ConfigError);
    await expect(client.version()).rejects.toThrow('helm binary not found: "/nonexistent/helm"');
  });

  it('refuses helm older than 3.8', async () => {
    const { binary } = fakeHelm('v3.7.2');
    await expect(new HelmClient({ binary }).version()).rejects.toThrow(
      'helm v3.7.2 is too old: safe-updater needs Helm 3.8 or newer',
    );
  });

  it('detects Helm 4', async () => {
    const { binary } = fakeHelm('v4.1.4');
    const client = new HelmClient({ binary });
    expect(await client.isHelm4()).toBe(true);
  });

  it('passes names with shell metacharacters verbatim, as one argument each, never through a shell', async () => {
    const { binary, argsFile, dir } = fakeHelm('v3.17.2');
    const marker = join(dir, 'pwned');
    const hostile = `web$(touch ${marker});\`touch ${marker}\`|| touch ${marker}`;
    const client = new HelmClient({ binary, kubeconfig: '/k/config', kubeContext: 'ctx' });
    await client.history(hostile, 'ns; rm -rf /');
    const args = readFileSync(argsFile, 'utf8').split('\n').slice(0, -1);
    expect(args).toEqual([
      'history',
      hostile,
      '--namespace',
      'ns; rm -rf /',
      '--max',
      '1000',
      '--output',
      'json',
      '--kubeconfig',
      '/k/config',
      '--kube-context',
      'ctx',
    ]);
    expect(existsSync(marker)).toBe(false);
  });

  it('uses --all on Helm 3 (only deployed/failed are listed otherwise) but not on Helm 4, which has no such flag', async () => {
    const helm3 = fakeHelm('v3.17.2');
    await new HelmClient({ binary: helm3.binary }).list();
    expect(readFileSync(helm3.argsFile, 'utf8')).toContain('--all\n');
    const helm4 = fakeHelm('v4.1.4');
    await new HelmClient({ binary: helm4.binary }).list({ namespace: 'x' });
    expect(readFileSync(helm4.argsFile, 'utf8').split('\n')).not.toContain('--all');
  });

  it('turns "another operation is in progress" into a ConflictError', async () => {
    const { binary } = fakeHelm(
      'v4.1.4',
      'Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress',
    );
    await expect(new HelmClient({ binary }).rollback('web', 'ns', 2)).rejects.toThrow(ConflictError);
  });

  it('maps --atomic to --rollback-on-failure on Helm 4 and uses a server-side dry run', async () => {
    const { binary, argsFile } = fakeHelm('v4.1.4');
    // The fake answers `[]`, which is no release: only the arguments matter here.
    await new HelmClient({ binary })
      .upgrade({
        release: 'web',
        namespace: 'ns',
        chart: { type: 'oci-chart', ref: 'oci://r/charts/app' },
        version: '1.1.0',
        atomic: true,
        dryRun: true,
        access: { plainHttp: true },
      })
      .catch(() => undefined);
    const args = readFileSync(argsFile, 'utf8').split('\n');
    expect(args).toContain('--rollback-on-failure');
    expect(args).not.toContain('--atomic');
    expect(args).toContain('--dry-run=server');
    expect(args).toContain('--plain-http');
    expect(args).not.toContain('--wait');
  });
});
