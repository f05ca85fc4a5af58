/**
 * Typed errors. Commands throw these; the one handler in src/cli/main.ts maps each to its documented
 * exit code and prints the message with its hint. Nothing else calls process.exit.
 */

export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  rolledBack: 3,
  policy: 4,
  unavailable: 5,
  rollbackFailed: 6,
  conflict: 7,
  notFound: 8,
  timeout: 9,
  notBuilt: 10,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorDetails {
  /** What the user can do next, printed under the message. */
  hint?: string;
  cause?: unknown;
}

export class SafeUpdaterError extends Error {
  readonly exitCode: ExitCode = ExitCode.failed;
  readonly hint: string | undefined;
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.hint = details.hint;
  }
}

/** Bad command line: unknown option, missing argument, conflicting flags. */
export class UsageError extends SafeUpdaterError {
  override readonly exitCode = ExitCode.usage;
}

/** The configuration file (or an annotation/label acting as configuration) is invalid. */
export class ConfigError extends SafeUpdaterError {
  override readonly exitCode = ExitCode.usage;
}

/**
 * An external system (registry, Kubernetes API, helm, Docker engine, database) failed in a way that may
 * pass: connection refused, reset, 429, 5xx, timeout. Never to be read as "no update available".
 */
export class ExternalHostError extends SafeUpdaterError {
  override readonly exitCode = ExitCode.unavailable;
  readonly host: string;
  readonly transient: boolean;
  constructor(host: string, message: string, details: ErrorDetails & { transient?: boolean } = {}) {
    super(message, details);
    this.host = host;
    this.transient = details.transient ?? true;
  }
}

/** Something asked for does not exist: an asset, a version, a revision, a record. */
export class NotFoundError extends SafeUpdaterError {
  override readonly exitCode = ExitCode.notFound;
}

/** Policy refuses the change, or it needs an approval first. */
export class PolicyError extends SafeUpdaterError {
  override readonly exitCode = ExitCode.policy;
}

/** Another update holds the asset, or Helm reports another operation in progress. */
export class ConflictError extends SafeUpdaterError {
  override readonly exitCode = ExitCode.conflict;
}

/** A wait ran past its deadline. */
export class TimeoutError extends SafeUpdaterError {
  override readonly exitCode = ExitCode.timeout;
}

/** The update failed verification and was rolled back: the asset runs its previous version. */
export class RolledBackError extends SafeUpdaterError {
  override readonly exitCode = ExitCode.rolledBack;
}

/** The rollback itself failed: the asset is paused and people must look. */
export class RollbackFailedError extends SafeUpdaterError {
  override readonly exitCode = ExitCode.rollbackFailed;
}

/** A capability that is not built yet. */
export class NotImplementedError extends SafeUpdaterError {
  override readonly exitCode = ExitCode.notBuilt;
}

export function isSafeUpdaterError(error: unknown): error is SafeUpdaterError {
  return error instanceof SafeUpdaterError;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
