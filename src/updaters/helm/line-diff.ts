/**
 * A unified line diff (`diff -u` format) of two texts, for `update --dry-run` of a Helm release (current
 * manifest vs the server-side dry run of the target). Written here because STACK.md names no diff library and
 * this is ~80 lines: Myers' O(ND) algorithm ("An O(ND) Difference Algorithm", 1986) with the usual hunks.
 *
 * Public API:
 *   unifiedDiff(before, after, { fromLabel?, toLabel?, context? }) → '' when equal, else the diff text
 */

type Edit = { type: ' ' | '-' | '+'; line: string };

/** Shortest edit script between two line arrays (Myers, with a trace of V arrays to walk back). */
function diffLines(a: readonly string[], b: readonly string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Array<number>(2 * max + 3).fill(0);
  const trace: number[][] = [];
  outer: for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && (v[offset + k - 1] ?? 0) < (v[offset + k + 1] ?? 0));
      let x = down ? (v[offset + k + 1] ?? 0) : (v[offset + k - 1] ?? 0) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) break outer;
    }
  }
  const edits: Edit[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const prev = trace[d] ?? [];
    const k = x - y;
    const down = k === -d || (k !== d && (prev[offset + k - 1] ?? 0) < (prev[offset + k + 1] ?? 0));
    const prevK = down ? k + 1 : k - 1;
    const prevX = prev[offset + prevK] ?? 0;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      edits.push({ type: ' ', line: a[--x] ?? '' });
      y--;
    }
    if (d > 0) {
      if (down) edits.push({ type: '+', line: b[--y] ?? '' });
      else edits.push({ type: '-', line: a[--x] ?? '' });
    }
  }
  return edits.reverse();
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export interface DiffOptions {
  fromLabel?: string;
  toLabel?: string;
  /** Unchanged lines shown around each change (default 3). */
  context?: number;
}

export function unifiedDiff(before: string, after: string, options: DiffOptions = {}): string {
  const context = options.context ?? 3;
  const a = splitLines(before);
  const b = splitLines(after);
  const edits = diffLines(a, b);
  if (edits.every((e) => e.type === ' ')) return '';
  const out = [`--- ${options.fromLabel ?? 'current'}`, `+++ ${options.toLabel ?? 'target'}`];
  // Positions (1-based line numbers in a and b) before each edit.
  const positions: { aLine: number; bLine: number }[] = [];
  let aLine = 1;
  let bLine = 1;
  for (const edit of edits) {
    positions.push({ aLine, bLine });
    if (edit.type !== '+') aLine++;
    if (edit.type !== '-') bLine++;
  }
  let i = 0;
  while (i < edits.length) {
    if (edits[i]?.type === ' ') {
      i++;
      continue;
    }
    const start = Math.max(0, i - context);
    let end = i;
    // Extend the hunk while the next change is within 2 × context unchanged lines.
    for (let j = i; j < edits.length; j++) {
      if (edits[j]?.type !== ' ') end = j;
      else if (j - end > 2 * context) break;
    }
    const stop = Math.min(edits.length, end + context + 1);
    const hunk = edits.slice(start, stop);
    const from = positions[start] ?? { aLine: 1, bLine: 1 };
    const aCount = hunk.filter((e) => e.type !== '+').length;
    const bCount = hunk.filter((e) => e.type !== '-').length;
    const aStart = aCount === 0 ? from.aLine - 1 : from.aLine;
    const bStart = bCount === 0 ? from.bLine - 1 : from.bLine;
    out.push(`@@ -${aStart},${aCount} +${bStart},${bCount} @@`);
    for (const edit of hunk) out.push(`${edit.type}${edit.line}`);
    i = stop;
  }
  return `${out.join('\n')}\n`;
}
