import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from './line-diff.js';

/** GNU diff's hunks (without its two header lines), the reference our diff must match. */
function gnuDiff(before: string, after: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'line-diff-'));
  writeFileSync(join(dir, 'a'), before);
  writeFileSync(join(dir, 'b'), after);
  try {
    execFileSync('diff', ['-u', join(dir, 'a'), join(dir, 'b')], { encoding: 'utf8' });
    return '';
  } catch (error) {
    return String((error as { stdout: string }).stdout)
      .split('\n')
      .slice(2)
      .join('\n');
  }
}

function lines(n: number, change: (i: number) => string | undefined = () => undefined): string {
  const out: string[] = [];
  for (let i = 1; i <= n; i++) {
    const line = change(i) ?? `line ${i}`;
    if (line !== '') out.push(line);
  }
  return `${out.join('\n')}\n`;
}

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n')).toBe('');
  });

  it('labels both sides', () => {
    const diff = unifiedDiff('image: app:1.0.0\n', 'image: app:1.1.0\n', {
      fromLabel: 'revision 3',
      toLabel: 'chart 1.1.0',
    });
    expect(diff).toBe(
      '--- revision 3\n+++ chart 1.1.0\n@@ -1,1 +1,1 @@\n-image: app:1.0.0\n+image: app:1.1.0\n',
    );
  });

  const cases: [string, string, string][] = [
    ['one change in the middle', lines(20), lines(20, (i) => (i === 10 ? 'changed' : undefined))],
    [
      'two distant changes give two hunks',
      lines(40),
      lines(40, (i) => (i === 5 || i === 35 ? 'x' : undefined)),
    ],
    [
      'near changes merge into one hunk',
      lines(30),
      lines(30, (i) => (i === 10 || i === 14 ? 'x' : undefined)),
    ],
    [
      'insertions and deletions',
      lines(25),
      lines(25, (i) => (i === 3 ? '' : i === 12 ? 'line 12\nnew a\nnew b' : undefined)),
    ],
    ['from empty', '', lines(3)],
    ['to empty', lines(3), ''],
  ];
  it.each(cases)('matches GNU diff -u: %s', (_name, before, after) => {
    const ours = unifiedDiff(before, after).split('\n').slice(2).join('\n');
    expect(ours).toBe(gnuDiff(before, after));
  });
});
