// Main thread. JSON lines on stderr. Writes are synchronous so that the error line written just
// before a non-zero exit is never lost; nothing logs per request at info level, so this costs
// nothing hot. Every line goes through redactSecrets on its way out.
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.ts';
import { redactSecrets } from './output.ts';

export type { Logger };

export function createLogger(level: LogLevel): Logger {
  const stderr = pino.destination({ fd: 2, sync: true });
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    { write: (line: string) => stderr.write(redactSecrets(line)) },
  );
}
