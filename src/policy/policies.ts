/**
 * Policies: Keel's built-in names plus the named policies of the configuration, compiled once into what
 * the decision needs (sets of update types, regexes, a pin, a minimum age, update windows). Keel's
 * meanings: `all` and `major` take every bump, `minor` minor and patch, `patch` patch only, `none`
 * (`never`) nothing; `force` is Keel's name for following a moving tag, here the same as `all`. Digest
 * changes of a moving tag (`latest`) are the smallest change there is and go with every built-in but none.
 */
import { Cron } from 'croner';
import type { UpdateType } from '../core/model.js';
import { ConfigError, errorMessage } from '../core/errors.js';
import { parseDuration } from '../config/duration.js';
import { closest } from '../config/load.js';
import { compilePin, type TagFilter } from '../versioning/candidates.js';
import type { ParsedTag } from '../versioning/tag.js';
import { parsePollSchedule, type PollSchedule } from './poll-schedule.js';

export interface PolicySpec {
  allow: UpdateType[];
  approve?: UpdateType[];
  include?: string[];
  exclude?: string[];
  pin?: string;
  /** A duration string (24h). */
  minAge?: string;
  prerelease?: boolean;
  windows?: { cron: string; timezone?: string }[];
  /** How often assets under this policy are looked up (poll-schedule.ts); default: the daemon's interval. */
  schedule?: string;
}

const EVERY: UpdateType[] = ['major', 'minor', 'patch', 'prerelease', 'digest'];
export const BUILTIN_POLICY_SPECS: Readonly<Record<string, PolicySpec>> = {
  all: { allow: EVERY },
  force: { allow: EVERY },
  major: { allow: EVERY },
  minor: { allow: ['minor', 'patch', 'prerelease', 'digest'] },
  patch: { allow: ['patch', 'prerelease', 'digest'] },
  none: { allow: [] },
  never: { allow: [] },
};

export interface UpdateWindow {
  text: string;
  isOpen(at: Date): boolean;
  nextOpening(after: Date): Date | undefined;
}

export interface CompiledPolicy {
  name: string;
  allow: ReadonlySet<UpdateType>;
  approve: ReadonlySet<UpdateType>;
  filter: TagFilter;
  pin?: { text: string; accepts: (tag: ParsedTag) => boolean };
  minAgeMs?: number;
  windows: UpdateWindow[];
  schedule?: PollSchedule;
}

function compileRegex(pattern: string, where: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (error) {
    throw new ConfigError(`${where}: '${pattern}' is not a valid regular expression: ${errorMessage(error)}`);
  }
}

function compileWindow(window: { cron: string; timezone?: string }, where: string): UpdateWindow {
  let cron: Cron;
  try {
    // croner accepts any zone name and fails only when matching; Intl refuses unknown IANA zones now.
    new Intl.DateTimeFormat('en', { timeZone: window.timezone ?? 'UTC' });
    cron = new Cron(window.cron, { timezone: window.timezone ?? 'UTC', paused: true });
  } catch (error) {
    throw new ConfigError(
      `${where}: window '${window.cron}' (${window.timezone ?? 'UTC'}) is invalid: ${errorMessage(error)}`,
    );
  }
  const text = `'${window.cron}' ${window.timezone ?? 'UTC'}`;
  // A window names the minutes in which an update may start: open when the current minute matches.
  return {
    text,
    isOpen: (at) => cron.match(new Date(Math.floor(at.getTime() / 60_000) * 60_000)),
    nextOpening: (after) => cron.nextRun(after) ?? undefined,
  };
}

export function compilePolicy(name: string, spec: PolicySpec): CompiledPolicy {
  const where = `policy '${name}'`;
  let minAgeMs: number | undefined;
  if (spec.minAge !== undefined) {
    try {
      minAgeMs = parseDuration(spec.minAge);
    } catch (error) {
      throw new ConfigError(`${where}: minAge: ${errorMessage(error)}`);
    }
  }
  return {
    name,
    allow: new Set(spec.allow),
    approve: new Set(spec.approve ?? []),
    filter: {
      include: (spec.include ?? []).map((p) => compileRegex(p, `${where}: include`)),
      exclude: (spec.exclude ?? []).map((p) => compileRegex(p, `${where}: exclude`)),
      prerelease: spec.prerelease ?? false,
    },
    ...(spec.pin === undefined ? {} : { pin: { text: spec.pin, accepts: compilePin(spec.pin, where) } }),
    ...(minAgeMs === undefined ? {} : { minAgeMs }),
    windows: (spec.windows ?? []).map((w) => compileWindow(w, where)),
    ...(spec.schedule === undefined ? {} : { schedule: parsePollSchedule(spec.schedule, where) }),
  };
}

/** Compiles the built-in and configured policies; configured names shadow built-ins. */
export class PolicyBook {
  private readonly compiled = new Map<string, CompiledPolicy>();
  readonly names: readonly string[];

  constructor(
    private readonly specs: Readonly<Record<string, PolicySpec>>,
    readonly defaultPolicy: string,
  ) {
    this.names = [...new Set([...Object.keys(BUILTIN_POLICY_SPECS), ...Object.keys(specs)])];
  }

  has(name: string): boolean {
    return this.names.includes(name);
  }

  /** The compiled policy by name; ConfigError with a "did you mean" hint for an unknown one. */
  get(name: string, where: string): CompiledPolicy {
    let policy = this.compiled.get(name);
    if (!policy) {
      const spec = this.specs[name] ?? BUILTIN_POLICY_SPECS[name];
      if (!spec) {
        const guess = closest(name, this.names);
        throw new ConfigError(`${where}: unknown policy '${name}'`, {
          hint: `${guess ? `did you mean '${guess}'? ` : ''}known policies: ${this.names.join(', ')}`,
        });
      }
      policy = compilePolicy(name, spec);
      this.compiled.set(name, policy);
    }
    return policy;
  }
}
