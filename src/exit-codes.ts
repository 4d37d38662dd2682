// The process's exit codes: part of the contract with supervisors (systemd's
// RestartPreventExitStatus=2 keeps a configuration error from restarting in a loop).
export const ExitCode = {
  /** Stopped by SIGTERM or SIGINT. */
  stopped: 0,
  /** The object could not be fetched at start-up or refreshed later. */
  fetchFailed: 1,
  /** Invalid configuration: a setting, a flag or the environment. */
  invalidConfig: 2,
  /** The port could not be opened (in use, not permitted, unknown host). */
  cannotListen: 3,
  /** A bug: an exception nobody expected. */
  internalFault: 70,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
