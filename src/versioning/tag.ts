/**
 * Reading image tags and chart versions as versions. Tags are not semver: `v1.2`, `17.11-alpine`,
 * `1.25.3-alpine3.19`, `2024.01.15`, `RELEASE.2024-01-15T00-00-00Z`, `latest`, commit shas. A tag is parsed
 * into numbers (ordered), an optional pre-release and a suffix; tags compare only inside one *family*
 * (same prefix, same count of numbers, same suffix shape), as Renovate's docker versioning does, so
 * `1.25-alpine` only ever moves to another `-alpine` tag and `1.0.0` never to `1.2.0-crashloop`.
 */

export type TagKind =
  /** Three numbers, optional `v`: 1.2.3, v1.2.3-rc.1 */
  | 'semver'
  /** Any other count of numbers or prefix: 1.25, 17.11-alpine, 1.2.3.4 */
  | 'loose'
  /** Dates: 2024.01.15, 20240115, RELEASE.2024-01-15T00-00-00Z */
  | 'calver'
  /** Moving names (latest, stable, edge…): tracked by digest, never compared as versions. */
  | 'mutable'
  /** Not a version at all (commit shas, words): never compared. */
  | 'opaque';

export interface ParsedTag {
  raw: string;
  kind: TagKind;
  /** Text before the first number: '', 'v', 'RELEASE.'. */
  prefix: string;
  numbers: number[];
  /** Pre-release identifiers (`rc.1` → ['rc', 1]); empty for a release. */
  prerelease: (string | number)[];
  /** The suffix after the version (`-alpine3.19`), '' when none. */
  suffix: string;
  /** Numbers inside the suffix (`-alpine3.19` → [3, 19], `-ls30` → [30]): the last tie-breaker. */
  suffixNumbers: number[];
  /** Tags compare only within one family. */
  family: string;
}

/**
 * Moving tags: they name whatever was pushed last. Keel and Watchtower track them by digest; they are
 * never versions ("latest" is not newer than "1.2.3").
 */
const MUTABLE_TAGS = new Set([
  'latest',
  'stable',
  'edge',
  'dev',
  'develop',
  'development',
  'main',
  'master',
  'nightly',
  'canary',
  'next',
  'current',
  'lts',
  'mainline',
  'rolling',
  'unstable',
  'testing',
  'release',
  'head',
  'trunk',
  'beta',
  'alpha',
  'rc',
  'preview',
  'insiders',
  'production',
  'prod',
  'staging',
]);

/** Identifiers that make a suffix a pre-release rather than a variant (`-rc.1` vs `-alpine`). */
const PRERELEASE =
  /^(alpha|beta|rc|pre|preview|canary|snapshot|dev|next|milestone|nightly|ea|cr|m(?=\d)|a(?=\d)|b(?=\d))(?:[.-]?(\d+))*(?=$|[-_])/i;

const VERSION = /^(?<prefix>v|V|[A-Za-z][A-Za-z_]*[._-]|)(?<numbers>\d+(?:\.\d+)*)(?<rest>.*)$/;
const DATE_TIME =
  /^(?<prefix>[A-Za-z][A-Za-z_]*[._-]|)(?<y>\d{4})-(?<mo>\d{2})-(?<d>\d{2})(?:T(?<h>\d{2})[-:](?<mi>\d{2})[-:](?<s>\d{2})Z?)?(?<rest>.*)$/;
const SHA = /^(?:sha[-_]?|git[-_]?|commit[-_]?|g)?[0-9a-f]{7,64}$/i;
const COMPACT_DATE = /^(19|20|21)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(\d{4,6})?$/;

function isYear(n: number | undefined): boolean {
  return n !== undefined && n >= 1970 && n <= 2199;
}

function splitPrerelease(text: string): (string | number)[] {
  return text
    .split(/[.-]|(?<=[a-zA-Z])(?=\d)|(?<=\d)(?=[a-zA-Z])/)
    .filter((part) => part !== '')
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part.toLowerCase()));
}

function familyOf(kind: TagKind, prefix: string, count: number, suffix: string): string {
  return `${kind === 'calver' ? 'calver' : 'num'}|${prefix.toLowerCase()}|${count}|${suffix.replace(/\d+(?:\.\d+)*/g, '#').toLowerCase()}`;
}

function opaque(raw: string, kind: 'mutable' | 'opaque'): ParsedTag {
  return {
    raw,
    kind,
    prefix: '',
    numbers: [],
    prerelease: [],
    suffix: '',
    suffixNumbers: [],
    family: `${kind}|${raw}`,
  };
}

function splitRest(rest: string): { prerelease: (string | number)[]; suffix: string } | undefined {
  if (rest === '') return { prerelease: [], suffix: '' };
  // '+build' metadata (charts) and Helm's '_' stand-in for '+' in OCI tags are dropped from ordering.
  const plus = rest.search(/[+]/);
  const body = plus >= 0 ? rest.slice(0, plus) : rest;
  if (body === '') return { prerelease: [], suffix: '' };
  const separated = /^[-_.]/.test(body) ? body.slice(1) : body;
  if (separated === '') return undefined;
  const pre = PRERELEASE.exec(separated);
  if (pre) {
    const after = separated.slice(pre[0].length);
    return { prerelease: splitPrerelease(pre[0]), suffix: after };
  }
  // '1.2.3alpine' without a separator is too ambiguous to call a variant; only pre-releases may touch.
  if (!/^(?:[-_][A-Za-z0-9]|\.[A-Za-z])/.test(body)) return undefined;
  return { prerelease: [], suffix: body };
}

function numbersIn(text: string): number[] {
  return (text.match(/\d+/g) ?? []).map(Number);
}

/** Reads one tag; never throws. */
export function parseTag(raw: string): ParsedTag {
  const tag = raw.trim();
  if (MUTABLE_TAGS.has(tag.toLowerCase())) return opaque(tag, 'mutable');
  if (/^\d+$/.test(tag) && COMPACT_DATE.test(tag)) {
    return {
      raw: tag,
      kind: 'calver',
      prefix: '',
      numbers: [Number(tag)],
      prerelease: [],
      suffix: '',
      suffixNumbers: [],
      family: familyOf('calver', '', tag.length, ''),
    };
  }
  if (SHA.test(tag) && /[a-f]/i.test(tag.replace(/^(sha|git|commit|g)[-_]?/i, '')))
    return opaque(tag, 'opaque');

  const date = DATE_TIME.exec(tag);
  if (date?.groups) {
    const g = date.groups;
    const numbers = [g.y, g.mo, g.d, g.h, g.mi, g.s].filter((n): n is string => n !== undefined).map(Number);
    const rest = splitRest(g.rest ?? '');
    if (rest) {
      return {
        raw: tag,
        kind: 'calver',
        prefix: g.prefix ?? '',
        numbers,
        prerelease: rest.prerelease,
        suffix: rest.suffix,
        suffixNumbers: numbersIn(rest.suffix),
        family: familyOf('calver', g.prefix ?? '', numbers.length, rest.suffix),
      };
    }
  }

  const match = VERSION.exec(tag);
  if (!match?.groups) return opaque(tag, 'opaque');
  const prefix = match.groups.prefix ?? '';
  const numbers = (match.groups.numbers ?? '').split('.').map(Number);
  const rest = splitRest(match.groups.rest ?? '');
  if (!rest || numbers.some((n) => !Number.isSafeInteger(n))) return opaque(tag, 'opaque');
  const kind: TagKind =
    numbers.length >= 2 && isYear(numbers[0]) && (numbers[1] ?? 0) <= 12
      ? 'calver'
      : numbers.length === 3 && (prefix === '' || prefix.toLowerCase() === 'v')
        ? 'semver'
        : 'loose';
  return {
    raw: tag,
    kind,
    prefix,
    numbers,
    prerelease: rest.prerelease,
    suffix: rest.suffix,
    suffixNumbers: numbersIn(rest.suffix),
    family: familyOf(kind, prefix, numbers.length, rest.suffix),
  };
}

/** True when the tag can be ordered against others (not a moving name, not a sha). */
export function isComparable(tag: ParsedTag): boolean {
  return tag.kind !== 'mutable' && tag.kind !== 'opaque';
}

function compareNumbers(a: readonly number[], b: readonly number[]): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

/** semver §11: a release outranks its pre-releases; numeric identifiers below alphanumeric ones. */
function comparePrerelease(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 0 : a.length === 0 ? 1 : -1;
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return Math.sign(x - y);
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** Orders two tags of one family; callers check `family` first. */
export function compareTags(a: ParsedTag, b: ParsedTag): number {
  return (
    compareNumbers(a.numbers, b.numbers) ||
    comparePrerelease(a.prerelease, b.prerelease) ||
    compareNumbers(a.suffixNumbers, b.suffixNumbers)
  );
}

/** The pre-release line: `rc` for 1.0.0-rc.1; undefined for a release. */
export function prereleaseLine(tag: ParsedTag): string | undefined {
  const first = tag.prerelease[0];
  return first === undefined ? undefined : typeof first === 'string' ? first : '#';
}
