/**
 * Secret redaction for logs and audit events. pino's own `redact` option needs every path spelled out;
 * secrets here hide at any depth (a registry's password inside a config dump, a token inside an error's
 * details) and inside strings (credentials in a URL), so one recursive function serves logs and journal.
 */

export const REDACTED = '[redacted]';

/** Keys whose values are secrets wherever they appear (case-insensitive, `-`/`_` ignored). */
const SECRET_KEY = /(password|passwd|secret|token|authorization|apikey|cookie|credential|privatekey)/i;

/** user:password@ in any scheme://user:password@host URL. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^:/?#@\s]+):([^@/?#\s]+)@/gi;
/** Authorization-style values inside free text: "Bearer abc.def", "Basic dXNlcjpwdw==". */
const AUTH_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.replace(/[-_]/g, ''));
}

/** Credentials in URLs and Authorization values inside a string, replaced. */
export function redactString(text: string): string {
  return text.replace(URL_CREDENTIALS, `$1$2:${REDACTED}@`).replace(AUTH_SCHEME, `$1 ${REDACTED}`);
}

/**
 * A copy of `value` with secret-named keys' values and credentials inside strings replaced.
 * Errors become plain objects (name, message, stack) so nothing secret leaks through their properties.
 */
export function redact<T>(value: T): T {
  return redactValue(value, new WeakSet()) as T;
}

function redactValue(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactString(value);
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Date) return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, seen));
  if (value instanceof Error) {
    const plain: Record<string, unknown> = { name: value.name, message: value.message, stack: value.stack };
    for (const [key, item] of Object.entries(value)) plain[key] = item;
    return redactValue(plain, seen);
  }
  if (value instanceof Map) return redactValue(Object.fromEntries(value), seen);
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    result[key] =
      isSecretKey(key) && item !== null && item !== undefined && item !== ''
        ? REDACTED
        : redactValue(item, seen);
  }
  return result;
}
