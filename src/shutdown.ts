// SIGTERM and SIGINT: a graceful stop bounded by a hard deadline; a second signal exits at once.
import { ExitCode } from './exit-codes.ts';
import type { Logger } from './logger.ts';

export interface ShutdownOptions {
  timeoutMs: number;
  logger: Logger;
  /** Stops everything gracefully; may never resolve, the deadline covers that. */
  stop: (signal: NodeJS.Signals) => Promise<void>;
}

export function exitOnStopSignals({ timeoutMs, logger, stop }: ShutdownOptions): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(ExitCode.stopped);
    }
    stopping = true;
    // The deadline is armed before anything else, because the graceful steps may hang.
    setTimeout(() => {
      logger.warn({ signal, timeoutMs }, 'graceful stop exceeded SHUTDOWN_TIMEOUT: forcing exit');
      process.exit(ExitCode.stopped);
    }, timeoutMs);
    logger.info({ signal }, 'stopping');
    stop(signal).then(
      () => {
        logger.info({ signal }, 'stopped');
        process.exit(ExitCode.stopped);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'graceful stop failed');
        process.exit(ExitCode.internalFault);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
