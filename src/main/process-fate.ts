// Main thread. The one owner of the process's fate, as close-with-grace is: every handler for
// signals and crashes, and every exit that cannot wait for `run()` to return (an internal fault,
// the stop deadline, a second signal). Everything else ends by resolving `outcome`, which the
// entry's last line turns into the exit code.
//
// A graceful stop has two causes: a stop signal (exit 0) or a failure while serving (exit 1 by
// default, after a shorter drain: the object is no longer confirmed). Either way one stop runs; a
// signal that comes during a failure's drain joins it and leaves its code as it is, and a signal
// after a signal exits at once.
import { ExitCode } from './exit-codes.ts';
import type { Logger } from './logger.ts';
import { writeLogLine } from './output.ts';

export type StopSignal = 'SIGTERM' | 'SIGINT';

/** How the graceful stop should go: a signal lets DRAIN_DELAY run first, a failure does not. */
export interface StopRequest {
  drainDelay: boolean;
}

/**
 * The longest drain after a failure: the exit comes well within 5 s of it, whatever
 * SHUTDOWN_TIMEOUT says (the smaller of the two applies).
 */
export const failureDrainMs = 3_000;

export interface ProcessFate {
  /** The code the process ends with: the first `end()`, or 0 once a graceful stop finished. */
  readonly outcome: Promise<ExitCode>;
  /** Ends with `code` at once: for what ends the process before it serves anything. */
  end(code: ExitCode): void;
  /**
   * A failure while serving: the graceful stop without DRAIN_DELAY, bounded by the smaller of
   * its timeout and `failureDrainMs`, then exit `code`. Before `onStop`, the same as `end`.
   */
  failWhileServing(code: ExitCode): void;
  /**
   * From now on a stop signal runs `stop` under a deadline of `timeoutMs`; until then it ends the
   * process at once (nothing is served yet, nothing is lost).
   */
  onStop(stop: (request: StopRequest) => Promise<void>, timeoutMs: number): void;
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

  let stop: ((request: StopRequest) => Promise<void>) | undefined;
  let stopTimeoutMs = 0;
  /** The code of the stop in progress, if one is. */
  let stoppingWith: ExitCode | undefined;
  let signalled = false;

  const beginStop = (code: ExitCode, request: StopRequest, timeoutMs: number, fields: Record<string, unknown>): void => {
    stoppingWith = code;
    // The deadline is armed before anything else, because the graceful steps may hang.
    setTimeout(() => {
      log('warn', 'graceful stop exceeded its deadline: forcing exit', { ...fields, timeoutMs, exitCode: code });
      process.exit(code);
    }, timeoutMs);
    log('info', 'stopping', fields);
    stop!(request).then(() => {
      log('info', 'stopped', { ...fields, exitCode: code });
      resolveOutcome(code);
    }, internalFault);
  };

  const onStopSignal = (signal: StopSignal): void => {
    if (stop === undefined) process.exit(ExitCode.stopped);
    if (signalled) {
      log('warn', 'second signal: exiting at once', { signal, exitCode: stoppingWith });
      process.exit(stoppingWith ?? ExitCode.stopped);
    }
    signalled = true;
    if (stoppingWith !== undefined) {
      log('info', `already stopping after a failure: the drain goes on, the exit code stays ${stoppingWith}`, { signal });
      return;
    }
    beginStop(ExitCode.stopped, { drainDelay: true }, stopTimeoutMs, { signal });
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
    failWhileServing(code) {
      if (stop === undefined) resolveOutcome(code);
      else if (stoppingWith === undefined) {
        beginStop(code, { drainDelay: false }, Math.min(stopTimeoutMs, failureDrainMs), { cause: 'failure' });
      }
    },
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
