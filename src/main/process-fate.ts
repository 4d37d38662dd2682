// Main thread. The one owner of the process's fate, as close-with-grace is: every handler for
// signals and crashes, and every exit that cannot wait for `run()` to return (an internal fault,
// the stop deadline, a second signal). Everything else ends by resolving `outcome`, which the
// entry's last line turns into the exit code.
import { ExitCode } from './exit-codes.ts';
import type { Logger } from './logger.ts';
import { writeLogLine } from './output.ts';

export type StopSignal = 'SIGTERM' | 'SIGINT';

export interface ProcessFate {
  /** The code the process ends with: the first `end()`, or 0 once a graceful stop finished. */
  readonly outcome: Promise<ExitCode>;
  end(code: ExitCode): void;
  /**
   * From now on a stop signal runs `stop` under a deadline of `timeoutMs`; until then it ends the
   * process at once (nothing is served yet, nothing is lost).
   */
  onStop(stop: (signal: StopSignal) => Promise<void>, timeoutMs: number): void;
  /** SIGHUP runs `refresh`; until then it is ignored (its default would end the process). */
  onRefresh(refresh: () => void): void;
  /** Lines go through the service's logger once it is loaded. */
  useLogger(logger: Logger): void;
  /** A fault found by the service itself (a serving thread died): exit 70, as an uncaught one. */
  fault(error: Error): void;
  uninstall(): void;
}

export function installProcessFate(): ProcessFate {
  let logger: Logger | undefined;
  const log = (level: 'info' | 'warn' | 'error' | 'fatal', msg: string, fields: Record<string, unknown> = {}) => {
    if (logger) logger[level](fields, msg);
    else writeLogLine(level, msg, fields);
  };

  let resolveOutcome!: (code: ExitCode) => void;
  const outcome = new Promise<ExitCode>((resolve) => (resolveOutcome = resolve));

  const internalFault = (error: unknown): void => {
    const err = error instanceof Error ? error : new Error(String(error));
    log('fatal', `internal fault: ${err.message}`, { err: { type: err.name, message: err.message, stack: err.stack } });
    process.exit(ExitCode.internalFault);
  };

  let stop: ((signal: StopSignal) => Promise<void>) | undefined;
  let stopTimeoutMs = 0;
  let stopping = false;
  const onStopSignal = (signal: StopSignal): void => {
    if (stop === undefined) process.exit(ExitCode.stopped);
    if (stopping) {
      log('warn', 'second signal: exiting at once', { signal });
      process.exit(ExitCode.stopped);
    }
    stopping = true;
    // The deadline is armed before anything else, because the graceful steps may hang.
    setTimeout(() => {
      log('warn', 'graceful stop exceeded SHUTDOWN_TIMEOUT: forcing exit', { signal, timeoutMs: stopTimeoutMs });
      process.exit(ExitCode.stopped);
    }, stopTimeoutMs);
    log('info', 'stopping', { signal });
    stop(signal).then(() => {
      log('info', 'stopped', { signal });
      resolveOutcome(ExitCode.stopped);
    }, internalFault);
  };

  let refresh: (() => void) | undefined;
  const onHangUp = (): void => refresh?.();

  process
    .on('uncaughtException', internalFault)
    .on('unhandledRejection', internalFault)
    .on('SIGTERM', onStopSignal)
    .on('SIGINT', onStopSignal)
    .on('SIGHUP', onHangUp);

  return {
    outcome,
    end: (code) => resolveOutcome(code),
    onStop(gracefulStop, timeoutMs) {
      stop = gracefulStop;
      stopTimeoutMs = timeoutMs;
    },
    onRefresh(handler) {
      refresh = handler;
    },
    useLogger(serviceLogger) {
      logger = serviceLogger;
    },
    fault: internalFault,
    uninstall() {
      process
        .off('uncaughtException', internalFault)
        .off('unhandledRejection', internalFault)
        .off('SIGTERM', onStopSignal)
        .off('SIGINT', onStopSignal)
        .off('SIGHUP', onHangUp);
    },
  };
}
