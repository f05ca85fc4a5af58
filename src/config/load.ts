/**
 * Loading safe-updater.yaml. Every problem is reported on one line as
 * `file:line:col: path: expected …; got …`: the YAML is parsed with a LineCounter so that each zod issue
 * path maps back to the node it came from. Unknown keys get a "did you mean" hint, references between
 * sections (asset → policy, asset → health check) are checked at the line that makes them, and secrets
 * named by environment variable or file are resolved here, so nothing downstream reads the environment.
 */
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Cron } from 'croner';
import { parsePollSchedule } from '../policy/poll-schedule.js';
import semver from 'semver';
import { isMap, isNode, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { ConfigValidationError, type ConfigProblem } from './problems.js';
import { BUILTIN_POLICIES, configSchema, type Config } from './schema.js';

export { ConfigValidationError, type ConfigProblem };

export interface LoadedConfig {
  config: Config;
  /** The file read, as the user named it, or undefined when no file exists and defaults apply. */
  path: string | undefined;
}

export interface LoadOptions {
  /** The user named the file (--config / SAFE_UPDATER_CONFIG): a missing file is then an error. */
  explicit: boolean;
  /** Relative paths are read from here; default process.cwd(). */
  cwd?: string;
  /** For `${VAR}` references and `passwordEnv`; default process.env. */
  env?: NodeJS.ProcessEnv;
}

export async function loadConfig(path: string, options: LoadOptions): Promise<LoadedConfig> {
  const cwd = options.cwd ?? process.cwd();
  let text: string;
  try {
    text = await readFile(resolve(cwd, path), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !options.explicit) return { config: configSchema.parse({}), path: undefined };
    throw new ConfigError(
      code === 'ENOENT'
        ? `configuration file ${path} does not exist`
        : `cannot read ${path}: ${(error as Error).message}`,
      { hint: 'write one with `safe-updater init`, or pass another --config FILE', cause: error },
    );
  }
  return { config: parseConfig(text, path, { cwd, env: options.env ?? process.env }), path };
}

/** Validates configuration text; `file` names it in messages. Throws ConfigValidationError. */
export function parseConfig(
  text: string,
  file: string,
  context: { cwd: string; env: NodeJS.ProcessEnv },
): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems = new Problems(file, doc, lineCounter);
  for (const error of doc.errors) {
    problems.at(error.pos[0], [], error.message.replace(/ at line \d+, column \d+.*$/s, ''));
  }
  if (problems.list.length > 0) throw new ConfigValidationError(file, problems.list);

  const raw = substituteEnv(doc, context.env, problems);
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) {
    for (const issue of result.error.issues) reportIssue(issue, [], raw, problems);
  } else {
    checkReferences(result.data, problems);
    resolveSecrets(result.data, context, problems);
  }
  if (problems.list.length > 0) throw new ConfigValidationError(file, problems.list);
  if (!result.success) throw new Error('unreachable: invalid configuration without problems');
  return result.data;
}

type Path = (string | number)[];

/** Collects problems, placing each at the YAML node of its path (or the nearest ancestor that exists). */
class Problems {
  readonly list: ConfigProblem[] = [];
  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  /** A problem at the value of `path`; `keyOf` places it at the key instead (unknown keys). */
  add(path: Path, message: string, keyOf = false): void {
    this.at(this.offsetOf(path, keyOf), path, message);
  }

  at(offset: number, path: Path, message: string): void {
    const { line, col } = this.lineCounter.linePos(offset);
    const dotted = formatPath(path);
    // One problem per key: a missing ${VAR} must not also be reported as the empty value it left behind.
    if (path.length > 0 && this.list.some((problem) => problem.path === dotted)) return;
    const text = `${this.file}:${line}:${col}: ${dotted === '' ? '' : `${dotted}: `}${message}`;
    this.list.push({ file: this.file, line, column: col, path: dotted, message, text });
    this.list.sort((a, b) => a.line - b.line || a.column - b.column);
  }

  private offsetOf(path: Path, keyOf: boolean): number {
    for (let depth = path.length; depth >= 0; depth--) {
      const prefix = path.slice(0, depth);
      if (keyOf && depth === path.length && depth > 0) {
        const parent = prefix.length === 1 ? this.doc.contents : this.doc.getIn(prefix.slice(0, -1), true);
        if (isMap(parent)) {
          const pair = parent.items.find(
            (item) => isScalar(item.key) && item.key.value === prefix[prefix.length - 1],
          );
          if (pair && isNode(pair.key) && pair.key.range) return pair.key.range[0];
        }
      }
      const node = prefix.length === 0 ? this.doc.contents : this.doc.getIn(prefix, true);
      if (isNode(node) && node.range) return node.range[0];
      if (isPair(node) && isNode(node.key) && node.key.range) return node.key.range[0];
    }
    return 0;
  }
}

function formatPath(path: Path): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('');
}

/** Turns a zod issue into problems at their lines; `prefix` is the path of the union branch being explained. */
function reportIssue(issue: z.core.$ZodIssue, prefix: Path, raw: unknown, problems: Problems): void {
  const path = [...prefix, ...(issue.path as Path)];
  const value = valueAt(raw, path);
  switch (issue.code) {
    case 'unrecognized_keys':
      for (const key of issue.keys) {
        const known = knownKeys(path, raw);
        const suggestion = closest(key, known);
        const hint = suggestion
          ? `; did you mean "${suggestion}"?`
          : known.length > 0
            ? `; expected one of ${known.join(', ')}`
            : '';
        problems.add([...path, key], `unknown key "${key}"${hint}`, true);
      }
      return;
    case 'invalid_type':
      problems.add(
        path,
        value === undefined
          ? `missing required key (expected ${article(issue.expected)})`
          : `expected ${article(issue.expected)}; got ${show(value)}`,
      );
      return;
    case 'invalid_value':
      problems.add(
        path,
        `expected ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}; got ${show(value)}`,
      );
      return;
    case 'invalid_union': {
      if ('discriminator' in issue && issue.discriminator !== undefined) {
        const options = (issue as { options?: unknown[] }).options ?? [];
        problems.add(
          path,
          `expected ${options.map((o) => JSON.stringify(o)).join(' | ')}; got ${show(value)}`,
        );
        return;
      }
      const branches = [...issue.errors].sort((a, b) => a.length - b.length);
      const [best, second] = branches;
      if (best && (second === undefined || best.length < second.length)) {
        for (const inner of best) reportIssue(inner, path, raw, problems);
      } else {
        problems.add(path, `${lowerFirst(issue.message)}; got ${show(value)}`);
      }
      return;
    }
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const op = issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
      const what =
        issue.origin === 'array'
          ? `at least ${String(bound)} item(s)`
          : issue.origin === 'string'
            ? `a non-empty string`
            : `a number ${op} ${String(bound)}`;
      problems.add(
        path,
        `expected ${issue.code === 'too_big' && issue.origin === 'array' ? `at most ${String(bound)} item(s)` : what}; got ${show(value)}`,
      );
      return;
    }
    default:
      problems.add(path, `${lowerFirst(issue.message)}; got ${show(value)}`);
  }
}

/** The keys a strict object at `path` accepts, read from the schema (through defaults, arrays, records, unions). */
function knownKeys(path: Path, raw: unknown): string[] {
  let schemas: z.core.$ZodType[] = [configSchema];
  for (let i = 0; i <= path.length; i++) {
    schemas = schemas.flatMap((schema) => unwrap(schema, valueAt(raw, path.slice(0, i))));
    if (i === path.length) break;
    const part = path[i];
    schemas = schemas.flatMap((schema) => {
      const def = schema._zod.def as unknown as Record<string, unknown>;
      if (def.type === 'object' && typeof part === 'string') {
        const child = (def.shape as Record<string, z.core.$ZodType>)[part];
        return child ? [child] : [];
      }
      if (def.type === 'array') return [def.element as z.core.$ZodType];
      if (def.type === 'record') return [def.valueType as z.core.$ZodType];
      return [];
    });
  }
  const keys = schemas.flatMap((schema) => {
    const def = schema._zod.def as unknown as Record<string, unknown>;
    return def.type === 'object' ? Object.keys(def.shape as object) : [];
  });
  return [...new Set(keys)].filter((key) => key !== '$schema');
}

/** Strips optional/default/pipe wrappers; a union gives the branches that fit the data's `type`. */
function unwrap(schema: z.core.$ZodType, value: unknown): z.core.$ZodType[] {
  const def = schema._zod.def as unknown as Record<string, unknown>;
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
    case 'readonly':
      return unwrap(def.innerType as z.core.$ZodType, value);
    case 'pipe':
      return unwrap(def.in as z.core.$ZodType, value);
    case 'union': {
      const options = (def.options as z.core.$ZodType[]).flatMap((option) => unwrap(option, value));
      const discriminator = def.discriminator as string | undefined;
      if (discriminator === undefined || typeof value !== 'object' || value === null) return options;
      const wanted = (value as Record<string, unknown>)[discriminator];
      const matching = options.filter((option) => {
        const shape = (option._zod.def as unknown as { shape?: Record<string, z.core.$ZodType> }).shape;
        const literal = shape?.[discriminator]?._zod.def as unknown as { values?: unknown[] } | undefined;
        return literal?.values?.includes(wanted) ?? false;
      });
      return matching.length > 0 ? matching : options;
    }
    default:
      return [schema];
  }
}

function valueAt(raw: unknown, path: Path): unknown {
  let current = raw;
  for (const part of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[part];
  }
  return current;
}

/** The known key nearest to a misspelt one, when it is near enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = levenshtein(word.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(word.length / 3)) ? best.candidate : undefined;
}

/** Edit distance (insertions, deletions, substitutions); keys are short, so the plain O(n·m) table is fine. */
export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return `a mapping with keys ${Object.keys(value).join(', ') || '(none)'}`;
  if (typeof value === 'string') return JSON.stringify(value);
  return `${String(value)} (${typeof value})`;
}

function article(expected: string): string {
  const names: Record<string, string> = {
    object: 'a mapping',
    array: 'a list',
    string: 'a string',
    number: 'a number',
    boolean: 'true or false',
    int: 'a whole number',
  };
  return names[expected] ?? expected;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/**
 * `${VAR}` in any string value is replaced by the environment variable (`$${` writes a literal `${`), so
 * secrets such as webhook URLs stay out of the file. A variable that is not set is a problem at its line.
 */
function substituteEnv(doc: Document, env: NodeJS.ProcessEnv, problems: Problems): unknown {
  const raw = doc.toJS({ maxAliasCount: 100 }) as unknown;
  const walk = (value: unknown, path: Path): unknown => {
    if (typeof value === 'string') {
      return value.replace(/\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (match, escape: string, name: string) => {
        if (escape === '$') return match.slice(1);
        const resolved = env[name];
        if (resolved === undefined) problems.add(path, `environment variable ${name} is not set`);
        return resolved ?? '';
      });
    }
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i]));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, walk(item, [...path, key])]),
      );
    }
    return value;
  };
  return walk(raw, []);
}

/** References between sections and values zod cannot judge alone (cron, time zones, semver ranges, URLs). */
function checkReferences(config: Config, problems: Problems): void {
  const policies = new Set<string>([...BUILTIN_POLICIES, ...Object.keys(config.policies)]);
  const unknownPolicy = (name: string): string => {
    const suggestion = closest(name, [...policies]);
    return `unknown policy "${name}"${suggestion ? `; did you mean "${suggestion}"?` : `; expected one of ${[...policies].join(', ')}`}`;
  };
  if (!policies.has(config.defaultPolicy))
    problems.add(['defaultPolicy'], unknownPolicy(config.defaultPolicy));
  const seen = new Map<string, number>();
  config.assets.forEach((asset, i) => {
    const earlier = seen.get(asset.id);
    if (earlier !== undefined)
      problems.add(['assets', i, 'id'], `duplicate asset id "${asset.id}" (also assets[${earlier}])`);
    seen.set(asset.id, i);
    if (asset.policy !== undefined && !policies.has(asset.policy))
      problems.add(['assets', i, 'policy'], unknownPolicy(asset.policy));
    asset.healthChecks.forEach((name, j) => {
      if (name in config.healthChecks) return;
      const known = Object.keys(config.healthChecks);
      const suggestion = closest(name, known);
      problems.add(
        ['assets', i, 'healthChecks', j],
        `unknown health check "${name}"${suggestion ? `; did you mean "${suggestion}"?` : known.length > 0 ? `; expected one of ${known.join(', ')}` : '; none is defined under healthChecks'}`,
      );
    });
  });
  for (const [name, policy] of Object.entries(config.policies)) {
    if (policy.pin !== undefined && semver.validRange(policy.pin) === null) {
      problems.add(
        ['policies', name, 'pin'],
        `expected a semver range such as 1.x or ^2.3.0; got ${show(policy.pin)}`,
      );
    }
    if (policy.schedule !== undefined) {
      try {
        parsePollSchedule(policy.schedule, `policy '${name}'`);
      } catch {
        problems.add(
          ['policies', name, 'schedule'],
          `expected '@every 10m', a duration such as 10m, or a cron expression; got ${show(policy.schedule)}`,
        );
      }
    }
    policy.windows.forEach((window, i) => {
      if (window.timezone !== undefined && !isTimeZone(window.timezone)) {
        problems.add(
          ['policies', name, 'windows', i, 'timezone'],
          `expected an IANA time zone such as Europe/Berlin; got ${show(window.timezone)}`,
        );
      }
      try {
        new Cron(window.cron, { paused: true });
      } catch (error) {
        problems.add(
          ['policies', name, 'windows', i, 'cron'],
          `expected a cron expression (${(error as Error).message}); got ${show(window.cron)}`,
        );
      }
    });
  }
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(config.state)) {
    problems.add(
      ['state'],
      `expected sqlite://PATH, sqlite::memory: or postgres://…; got ${show(config.state)}`,
    );
  }
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Registry passwords named by `passwordEnv` or `passwordFile` are read into `password`. */
function resolveSecrets(
  config: Config,
  context: { cwd: string; env: NodeJS.ProcessEnv },
  problems: Problems,
): void {
  config.registries.forEach((registry, i) => {
    if (registry.passwordEnv !== undefined) {
      const value = context.env[registry.passwordEnv];
      if (value === undefined)
        problems.add(
          ['registries', i, 'passwordEnv'],
          `environment variable ${registry.passwordEnv} is not set`,
        );
      else registry.password = value;
    }
    if (registry.passwordFile !== undefined) {
      try {
        registry.password = readFileSync(resolve(context.cwd, registry.passwordFile), 'utf8').trim();
      } catch (error) {
        problems.add(
          ['registries', i, 'passwordFile'],
          `cannot read ${registry.passwordFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        );
      }
    }
  });
}
