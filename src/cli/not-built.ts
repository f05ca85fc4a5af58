/** The one way a command whose capability is not built yet answers: plainly, with exit code 10. */
import { NotImplementedError } from '../core/errors.js';

export function notBuilt(command: string, what: string): never {
  throw new NotImplementedError(`\`safe-updater ${command}\` is not built yet: ${what}`, {
    hint: 'see `safe-updater --help` for the commands that work today',
  });
}
