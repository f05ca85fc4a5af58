/**
 * Runs the CLI for tests: in this process through run() (fast, for help and journal commands) or as a real
 * `node` process through tsx (for what only a process shows: exit codes, stdout/stderr separation).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { run } from '../../src/cli/main.js';
import { repoRoot } from '../support/env.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function runInProcess(argv: string[], cwd: string): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: { ...process.env, SAFE_UPDATER_ACTOR: 'tester' },
    cwd,
  });
  return { code, stdout, stderr };
}

const MAIN = join(repoRoot, 'src', 'cli', 'main.ts');
const TSX = import.meta.resolve('tsx');

/** The CLI as a user runs it, from `cwd`, without any SAFE_UPDATER_* variables from this process. */
export function runProcess(
  argv: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<CliResult> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('SAFE_UPDATER_')),
  );
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...argv], {
    cwd,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
