/** `--help` of the program and of every command, in text and as JSON. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runInProcess, runProcess } from './run-cli.js';

const COMMANDS = [
  'scan',
  'status',
  'plan',
  'update',
  'rollback',
  'history',
  'watch',
  'approve',
  'reject',
  'pause',
  'resume',
  'queue',
  'cancel',
  'serve',
  'init',
];

const cwd = mkdtempSync(join(tmpdir(), 'safe-updater-help-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('safe-updater --help', () => {
  it('lists every command, the global options and the exit codes', async () => {
    const { code, stdout, stderr } = await runInProcess(['--help'], cwd);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    for (const command of COMMANDS) expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    for (const option of ['--config', '--state', '--output', '--log-level', '--no-color', '--verbose']) {
      expect(stdout).toContain(option);
    }
    expect(stdout).toMatch(/Exit codes:[\s\S]*3 +update failed verification and was rolled back/);
  });

  it.each(COMMANDS)('%s --help shows its usage and examples', async (command) => {
    const { code, stdout } = await runInProcess([command, '--help'], cwd);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Usage: safe-updater ${command} `));
    expect(stdout).toMatch(new RegExp(`Examples:\\n  \\$ safe-updater[^\\n]* ${command}`));
  });

  it.each(COMMANDS)('%s --help with --output json prints one JSON document', async (command) => {
    const { code, stdout } = await runInProcess(['--output', 'json', command, '--help'], cwd);
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout) as { help: string };
    expect(parsed.help).toContain(`Usage: safe-updater ${command}`);
  });

  it('documents the seed options of update and rollback', async () => {
    const update = (await runInProcess(['update', '--help'], cwd)).stdout;
    for (const option of [
      '--to-version',
      '-n, --namespace',
      '--dry-run',
      '--force',
      '--wait',
      '--no-wait',
      '--timeout',
    ]) {
      expect(update).toContain(option);
    }
    const rollback = (await runInProcess(['rollback', '--help'], cwd)).stdout;
    for (const option of ['--to-version', '-n, --namespace', '--revision'])
      expect(rollback).toContain(option);
  });

  it('prints help and version from a real process, JSON-only on stdout with --output json', async () => {
    const text = await runProcess(['--help'], cwd);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Usage: safe-updater /);
    const json = await runProcess(['-o', 'json', 'update', '--help'], cwd);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { help: string }).help).toContain('--to-version');
    const version = await runProcess(['--output=json', '--version'], cwd);
    expect(JSON.parse(version.stdout)).toEqual({
      version: expect.stringMatching(/^\d+\.\d+\.\d+/) as unknown,
    });
  });
});
