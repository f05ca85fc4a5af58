/**
 * Exec health check: a command run inside the asset's container through an injected executor, so the
 * Kubernetes pods/exec API and the Docker exec API both plug in. Exit code 0 is healthy; another exit code
 * is the command's definite answer (permanent); an executor that cannot run the command at all (API error,
 * no running pod yet) is transient.
 */
import type { Asset } from '../../core/model.js';
import { errorMessage } from '../../core/errors.js';
import type { CheckOutcome } from '../retry.js';

export interface ExecRequest {
  asset: Asset;
  command: string[];
  container?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface CommandExecutor {
  exec(request: ExecRequest): Promise<ExecResult>;
}

export async function checkExec(executor: CommandExecutor, request: ExecRequest): Promise<CheckOutcome> {
  const shown = request.command.join(' ');
  try {
    const result = await executor.exec(request);
    if (result.exitCode === 0) return { ok: true, message: `exec ${shown}: exit 0` };
    const detail = (result.stderr || result.stdout).trim().slice(0, 120);
    return {
      ok: false,
      transient: false,
      message: `exec ${shown}: exit ${result.exitCode}${detail ? ` (${detail})` : ''}`,
    };
  } catch (error) {
    return { ok: false, transient: true, message: `exec ${shown}: ${errorMessage(error)}` };
  }
}
