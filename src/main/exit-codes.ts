// Main thread. The process's exit codes: part of the contract with supervisors (systemd's
// RestartPreventExitStatus=2 keeps a configuration error from restarting in a loop).
export const ExitCode = {
  stopped: 0,
  fetchFailed: 1,
  invalidConfig: 2,
  cannotListen: 3,
  internalFault: 70,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** What each code means, for --help and the README; one list, in code order. */
export const exitCodeMeanings: Readonly<Record<ExitCode, string>> = {
  0: 'stopped by SIGTERM or SIGINT',
  1: 'object not fetched or refreshed',
  2: 'invalid configuration',
  3: 'cannot listen on the port',
  70: 'internal fault',
};
