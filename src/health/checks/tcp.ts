/**
 * TCP health check: a connection that opens is healthy. Refused, reset, unreachable and timed-out
 * connections are all transient: a port that is not listening yet may listen a moment later.
 */
import { connect } from 'node:net';
import type { CheckOutcome } from '../retry.js';

export interface TcpCheckOptions {
  host: string;
  port: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

export function checkTcp(options: TcpCheckOptions): Promise<CheckOutcome> {
  const target = `${options.host}:${options.port}`;
  return new Promise((resolve) => {
    const socket = connect({ host: options.host, port: options.port });
    const finish = (outcome: CheckOutcome): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(outcome);
    };
    const onAbort = (): void => finish({ ok: false, transient: true, message: `tcp ${target}: aborted` });
    const timer = setTimeout(
      () =>
        finish({
          ok: false,
          transient: true,
          message: `tcp ${target}: no connection within ${options.timeoutMs} ms`,
        }),
      options.timeoutMs,
    );
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish({ ok: true, message: `tcp ${target}: connected` }));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      finish({ ok: false, transient: true, message: `tcp ${target}: ${error.code ?? error.message}` }),
    );
  });
}
