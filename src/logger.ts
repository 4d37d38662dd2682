// JSON lines on stderr. Writes are synchronous so that the error line written just before a
// non-zero exit is never lost; nothing logs per request at info level, so this costs nothing hot.
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.ts';

export type { Logger };

export function createLogger(level: LogLevel): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}

/** An endpoint URL as it may be logged: any user:password part removed. */
export function redactUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const parsed = new URL(url);
  if (parsed.username === '' && parsed.password === '') return url;
  parsed.username = 'REDACTED';
  parsed.password = '';
  return parsed.toString();
}
