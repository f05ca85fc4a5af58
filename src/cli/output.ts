/**
 * What commands print. Text goes to people (aligned tables, one line per fact); JSON goes to scripts
 * (exactly one document on stdout per run, errors included).
 */

export type OutputFormat = 'text' | 'json';

/** A table for text output; JSON output gets the command's own structured value instead. */
export interface TextTable {
  headers: string[];
  rows: string[][];
  /** Printed under the table, e.g. "3 assets, 1 paused". */
  footer?: string;
}

export function isTextTable(value: unknown): value is TextTable {
  return typeof value === 'object' && value !== null && 'headers' in value && 'rows' in value;
}

/** Columns padded to their widest cell; the last column is not padded, so lines carry no trailing blanks. */
export function renderTable(table: TextTable): string {
  const widths = table.headers.map((header, column) =>
    Math.max(header.length, ...table.rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  const lines = [line(table.headers.map((h) => h.toUpperCase())), ...table.rows.map(line)];
  if (table.footer) lines.push('', table.footer);
  return lines.join('\n');
}

/** Dates in text output: ISO 8601 in UTC without milliseconds. */
export function formatTime(date: Date | null | undefined): string {
  if (!date) return '-';
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** JSON for scripts: Dates as ISO strings, Maps as objects, two-space indentation. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => (v instanceof Map ? Object.fromEntries(v as Map<string, unknown>) : v),
    2,
  );
}
