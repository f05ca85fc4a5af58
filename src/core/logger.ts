/**
 * Structured logs: pino, JSON lines on stderr (stdout belongs to command output), secrets redacted
 * through src/core/redact.ts on every record and message.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { redact, redactString } from './redact.js';

export type Logger = PinoLogger;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  level?: LogLevel;
  /** Where the JSON lines go; stderr unless stated (tests pass a stream). */
  destination?: DestinationStream;
  name?: string;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: options.name ?? 'safe-updater',
      level: options.level ?? 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redact(object),
      },
      hooks: {
        logMethod(args, method) {
          const redacted = args.map((arg: unknown) => (typeof arg === 'string' ? redactString(arg) : arg));
          method.apply(this, redacted as Parameters<typeof method>);
        },
      },
    },
    options.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}

/** A logger that drops everything, for library code run without one. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
