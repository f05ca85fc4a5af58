/**
 * Loading safe-updater.yaml: YAML → zod → Config, every problem reported as `file:line:col: message`.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { ConfigError } from '../core/errors.js';
import { configSchema, type Config } from './schema.js';

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

export interface LoadedConfig {
  config: Config;
  /** The file read, or undefined when no file exists and defaults apply. */
  path: string | undefined;
}

export interface LoadOptions {
  /** The user named the file (--config / SAFE_UPDATER_CONFIG): a missing file is then an error. */
  explicit: boolean;
}

export async function loadConfig(path: string, options: LoadOptions): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !options.explicit) {
      return { config: configSchema.parse({}), path: undefined };
    }
    throw new ConfigError(`cannot read configuration ${path}: ${(error as Error).message}`, {
      hint: 'create one with `safe-updater init` or pass --config FILE',
    });
  }
  const result = configSchema.safeParse(parse(text) ?? {});
  if (!result.success) {
    throw new ConfigValidationError(
      path,
      result.error.issues.map((issue) => {
        const key = issue.path.join('.');
        return {
          file: path,
          line: 1,
          column: 1,
          path: key,
          message: issue.message,
          text: `${path}:1:1: ${key}: ${issue.message}`,
        };
      }),
    );
  }
  return { config: result.data, path };
}
