/**
 * The single error handler: typed errors become their documented exit codes with a one-line message and a
 * hint; stack traces only with --verbose; with --output json, stdout holds exactly one JSON document.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runInProcess, runProcess } from './run-cli.js';

const cwd = mkdtempSync(join(tmpdir(), 'safe-updater-errors-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

const STACK_LINE = /^\s+at .+[(:]/m;

interface JsonError {
  error: {
    type: string;
    message: string;
    exitCode: number;
    hint?: string;
    problems?: { text: string; line: number }[];
  };
}

describe('usage errors', () => {
  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['history'], /missing required argument 'asset'/],
    [['scan', '--bogus'], /unknown option '--bogus'/],
    [['rollback', 'x', '--revision', 'three'], /expected a whole number/],
    [['--output', 'yaml', 'scan'], /argument 'yaml' is invalid/],
    [[], /a command is required/],
  ])('%j exits 2 with one message and a hint', async (argv, message) => {
    const { code, stdout, stderr } = await runInProcess(argv, cwd);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const [first, second, ...rest] = stderr.trimEnd().split('\n');
    expect(first).toMatch(/^error: /);
    expect(first).toMatch(message);
    expect(second).toMatch(/^hint: /);
    expect(rest).toEqual([]);
  });

  it('reports a usage error as JSON with --output json', async () => {
    const { code, stdout, stderr } = await runInProcess(
      ['-o', 'json', 'pause', 'x', '--all', '--bogus'],
      cwd,
    );
    expect(code).toBe(2);
    expect(stderr).toBe('');
    const parsed = JSON.parse(stdout) as JsonError;
    expect(parsed.error).toMatchObject({ type: 'UsageError', exitCode: 2 });
    expect(parsed.error.message).toContain("unknown option '--bogus'");
  });
});

describe('watch and serve refuse a bad listen address before opening anything', () => {
  it.each([['watch'], ['serve']])('%s --listen bogus exits 2 with a hint, no stack', async (command) => {
    const { code, stdout, stderr } = await runInProcess([command, '--listen', 'bogus'], cwd);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^error: listen address 'bogus' is not host:port\nhint: /);
    expect(stderr).not.toMatch(STACK_LINE);
  });

  it('gives the stack trace with --verbose', async () => {
    const { code, stderr } = await runInProcess(['--verbose', 'watch', '--listen', 'bogus'], cwd);
    expect(code).toBe(2);
    expect(stderr).toMatch(STACK_LINE);
  });
});

describe('configuration errors through the real CLI', () => {
  it('reports a misspelt key, a wrong type and a bad duration each as file:line:col on one line, exit 2, no stack', async () => {
    writeFileSync(
      join(cwd, 'three-problems.yaml'),
      [
        'helm:',
        '  binary: helm',
        '  timout: 5m',
        'orchestrator:',
        '  maxConcurrent: "two"',
        '# durations',
        'rollback:',
        '  monitor: 30 seconds',
        '',
      ].join('\n'),
    );
    const { code, stdout, stderr } = await runProcess(
      ['--config', 'three-problems.yaml', 'pause', '--all'],
      cwd,
    );
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toEqual([
      'error: 3 problems in three-problems.yaml',
      'three-problems.yaml:3:3: helm.timout: unknown key "timout"; did you mean "timeout"?',
      'three-problems.yaml:5:18: orchestrator.maxConcurrent: expected a number; got "two"',
      'three-problems.yaml:8:12: rollback.monitor: expected a duration such as 250ms, 30s, 5m or 1h; got "30 seconds"',
      'hint: fix the lines above; `safe-updater init` writes a commented example',
    ]);
    expect(stderr).not.toMatch(STACK_LINE);
  });

  it('reports broken YAML as file:line:col, exit 2, no stack trace', async () => {
    writeFileSync(join(cwd, 'broken.yaml'), 'helm:\n  binary: [helm\n  driver: secret\n');
    const { code, stdout, stderr } = await runProcess(['-c', 'broken.yaml', 'pause', '--all'], cwd);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const lines = stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^error: \d+ problems? in broken\.yaml$/);
    expect(lines.slice(1, -1).length).toBeGreaterThan(0);
    for (const line of lines.slice(1, -1)) expect(line).toMatch(/^broken\.yaml:[2-4]:\d+: \S.*$/);
    expect(lines[lines.length - 1]).toMatch(/^hint: /);
    expect(stderr).not.toMatch(STACK_LINE);
  });

  it('reports the problems as JSON on stdout with --output json, the file named by SAFE_UPDATER_CONFIG', async () => {
    writeFileSync(join(cwd, 'two-problems.yaml'), 'helm:\n  timout: 5m\nrollback:\n  window: soon\n');
    const { code, stdout } = await runProcess(['--output', 'json', 'pause', '--all'], cwd, {
      SAFE_UPDATER_CONFIG: 'two-problems.yaml',
    });
    expect(code).toBe(2);
    const parsed = JSON.parse(stdout) as JsonError;
    expect(parsed.error.type).toBe('ConfigValidationError');
    expect(parsed.error.problems?.map((p) => p.line)).toEqual([2, 4]);
    expect(parsed.error.problems?.[0]?.text).toBe(
      'two-problems.yaml:2:3: helm.timout: unknown key "timout"; did you mean "timeout"?',
    );
  });

  it('refuses a configuration file the user named but that does not exist', async () => {
    const { code, stderr } = await runInProcess(['-c', 'nope.yaml', 'pause', '--all'], cwd);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: configuration file nope\.yaml does not exist\nhint: /);
  });

  it('exits 2 for a bad listen address, from a real process', async () => {
    const { code, stdout } = await runProcess(['-o', 'json', 'watch', '--listen', 'bogus'], cwd);
    expect(code).toBe(2);
    expect((JSON.parse(stdout) as JsonError).error).toMatchObject({ type: 'ConfigError', exitCode: 2 });
  });
});
