/**
 * Durations in the configuration and on the command line are strings: `250ms`, `30s`, `5m`, `1h`, `2d`,
 * or combinations such as `1h30m`. A bare number is refused, so `timeout: 300` cannot silently mean
 * milliseconds in one place and seconds in another.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;
export const DURATION_PATTERN = '^(\\d+(\\.\\d+)?(ms|s|m|h|d))+$';

/** Milliseconds of a duration string, or undefined when the string is not one. */
export function tryParseDuration(text: string): number | undefined {
  const input = text.trim();
  if (input === '') return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < input.length) {
    const match = PART.exec(input);
    if (!match) return undefined;
    total += Number(match[1]) * UNIT_MS[match[2] as Unit];
  }
  return Math.round(total);
}

/** Milliseconds of a duration string such as `30s`; throws a RangeError naming the accepted forms. */
export function parseDuration(text: string): number {
  const ms = tryParseDuration(text);
  if (ms === undefined) {
    throw new RangeError(
      `invalid duration "${text}": expected a number with a unit (250ms, 30s, 5m, 1h, 2d)`,
    );
  }
  return ms;
}

/** The shortest readable form of a duration in milliseconds: 90000 → "1m30s". */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = ms;
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit];
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  if (rest > 0) parts.push(`${rest}ms`);
  return parts.join('');
}
