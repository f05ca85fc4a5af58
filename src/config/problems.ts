/**
 * The error a configuration with problems raises. Kept apart from load.ts so that the CLI's error handler
 * can recognise it without loading the YAML parser and the schema on every start.
 */
import { ConfigError } from '../core/errors.js';

export interface ConfigProblem {
  file: string;
  line: number;
  column: number;
  /** Dotted path of the key, e.g. rollback.monitor; empty for the document itself. */
  path: string;
  message: string;
  /** `file:line:col: path: message`, as printed. */
  text: string;
}

/** One or more problems in a configuration file, each with its position. */
export class ConfigValidationError extends ConfigError {
  readonly problems: ConfigProblem[];
  readonly summary: string;
  constructor(file: string, problems: ConfigProblem[]) {
    super(problems.map((problem) => problem.text).join('\n'), {
      hint: 'fix the lines above; `safe-updater init` writes a commented example',
    });
    this.problems = problems;
    this.summary = `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${file}`;
  }
}
