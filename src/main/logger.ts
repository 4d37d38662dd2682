// Main thread. One log line per event on stderr: JSON (LOG_FORMAT=json, the default, for
// collectors) or pino-pretty's readable form (LOG_FORMAT=pretty: the demo, a terminal). Writes are
// synchronous so that the error line written just before a non-zero exit is never lost; nothing
// logs per request at info level, so this costs nothing hot. Every line goes through
// redactSecrets as JSON, before it is prettified, so both formats hide the same secrets.
import { pino, type Logger } from 'pino';
import type { Config, LogFormat, LogLevel } from './config.ts';
import { redactSecrets } from './output.ts';

export type { Logger };

/** JSON as is, or pino-pretty's prettifier (loaded only when asked for), in colour on a terminal. */
export async function formatterFor(format: LogFormat, colorize: boolean): Promise<(line: string) => string> {
  if (format === 'json') return (line) => line;
  // A CommonJS module: its exports arrive as the default export once bundled.
  const { prettyFactory } = (await import('pino-pretty')).default;
  return prettyFactory({
    colorize,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid',
    customPrettifiers: {
      // The start line's every setting is for collectors; a person wants what is served, from where.
      config: (value) => {
        const config = value as Pick<Config, 'bucket' | 'key' | 'prefix' | 'endpoint' | 'port'>;
        const served = config.prefix === undefined ? config.key : `${config.prefix}* (prefix mode)`;
        return `s3://${config.bucket}/${served} from ${config.endpoint ?? 'AWS S3'} on port ${config.port} (LOG_FORMAT=json shows every setting)`;
      },
    },
  });
}

export async function createLogger(level: LogLevel, format: LogFormat): Promise<Logger> {
  const stderr = pino.destination({ fd: 2, sync: true });
  const formatted = await formatterFor(format, process.stderr.isTTY === true);
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    { write: (line: string) => stderr.write(formatted(redactSecrets(line))) },
  );
}
