// The real service as a child process (the built dist/main.js), its JSON log lines parsed as
// they arrive, and bounded waits on what it logs and how it exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { runEnvironment, serviceArgs } from '../../scripts/service-command.ts';
import { freePort } from './net.ts';
import { onCleanup } from './cleanup.ts';
import { withTimeout } from './wait.ts';


export type LogLine = Record<string, unknown> & { level: string; msg: string };

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Milliseconds from the last `signal()` (or from spawn) to the exit. */
  elapsedMs: number;
}

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  readonly logs: LogLine[];
  /** Everything written to stderr, parsed or not. */
  stderr(): string;
  waitForLog(what: string, match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  waitForExit(timeoutMs?: number): Promise<Exit>;
  /** Sends a signal and starts the clock that `Exit.elapsedMs` reads. */
  signal(signal: NodeJS.Signals): void;
  kill(): Promise<void>;
}

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  args?: string[];
  /** Node options before the entry, such as `--import` of a fault-injecting module. */
  nodeArgs?: string[];
  /** A command that runs node, such as `prlimit --nofile=100 --`. */
  wrapper?: string[];
  /** Another build's dist/main.js (the bench's A/B); default: this checkout's. */
  entry?: string;
}

/**
 * Environment every test service gets: loopback only, no AWS instance-metadata lookups. The log
 * level is the production default (info); a test that reads debug lines asks for them.
 */
const baseEnv = { ...runEnvironment, HOST: '127.0.0.1', AWS_EC2_METADATA_DISABLED: 'true' };

export async function spawnService(options: SpawnOptions = {}): Promise<ServiceProcess> {
  const port = Number(options.env?.PORT ?? (await freePort()));
  const env = Object.fromEntries(
    Object.entries({ PATH: process.env.PATH, ...baseEnv, ...options.env, PORT: String(port) }).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    ),
  );
  const [command, ...commandArgs] = [
    ...(options.wrapper ?? []),
    process.execPath,
    ...(options.nodeArgs ?? []),
    ...serviceArgs(options.args, options.entry),
  ];
  const child = spawn(command!, commandArgs, {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let clockStart = performance.now();
  let stderr = '';
  let partial = '';
  const logs: LogLine[] = [];
  const waiters = new Set<() => void>();
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr += chunk;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        // not JSON: kept in stderr(), which tests read to prove there is none
      }
    }
    for (const wake of waiters) wake();
  });
  child.stdout!.resume();

  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, elapsedMs: performance.now() - clockStart }));
  });
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  onCleanup(kill);

  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    logs,
    stderr: () => stderr,
    waitForLog(what, match, timeoutMs = 10_000) {
      const found = logs.find(match);
      if (found) return Promise.resolve(found);
      let wake!: () => void;
      const appeared = new Promise<LogLine>((resolve, reject) => {
        wake = () => {
          const line = logs.find(match);
          if (line) resolve(line);
        };
        waiters.add(wake);
        void exited.then(() => {
          wake();
          reject(new Error(`service exited before logging ${what}; stderr:\n${stderr}`));
        });
      });
      return withTimeout(appeared, timeoutMs, () => `the service to log ${what}; stderr so far:\n${stderr}`).finally(() =>
        waiters.delete(wake),
      );
    },
    waitForExit(timeoutMs = 10_000) {
      return withTimeout(exited, timeoutMs, () => `the service to exit; stderr so far:\n${stderr}`);
    },
    signal(signal) {
      clockStart = performance.now();
      child.kill(signal);
    },
    kill,
  };
}

/** Spawns the service and waits until it listens. */
export async function startService(options: SpawnOptions = {}, timeoutMs = 10_000): Promise<ServiceProcess> {
  const service = await spawnService(options);
  await service.waitForLog('"listening"', (line) => line.msg === 'listening', timeoutMs);
  return service;
}

export const byMessage = (msg: string) => (line: LogLine) => line.msg === msg;
