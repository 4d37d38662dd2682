// Processes the tests and the bench start: ended at cleanup, and whether one is still there.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { onCleanup } from './cleanup.ts';
import { isListening } from './net.ts';
import { waitFor, withTimeout } from './wait.ts';

export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A stop for `child` (sends `signal` unless it has already ended, then waits for its exit, within
 * `timeoutMs` if given), which the cleanup also runs. Call it before the child can have exited.
 */
export function stopAtCleanup(child: ChildProcess, signal: NodeJS.Signals, { timeoutMs }: { timeoutMs?: number } = {}): () => Promise<void> {
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await (timeoutMs === undefined ? exited : withTimeout(exited, timeoutMs, `${child.spawnfile} to stop`));
  };
  onCleanup(stop);
  return stop;
}

/**
 * A daemon run in the foreground (nginx, squid) that listens on `port` once ready: started, ended
 * with `stopSignal` at cleanup (or by the stop returned), and waited for; where it never listens,
 * the error ends with the tail of its `logFile`.
 */
export async function startListeningDaemon(
  command: string,
  args: string[],
  { port, stopSignal, logFile, readyWithinMs }: { port: number; stopSignal: NodeJS.Signals; logFile: string; readyWithinMs: number },
): Promise<() => Promise<void>> {
  const child = spawn(command, args, { stdio: 'ignore' });
  const stop = stopAtCleanup(child, stopSignal, { timeoutMs: 10_000 });
  await waitFor(`${command} to listen`, () => isListening(port), readyWithinMs).catch((error: Error) => {
    throw new Error(`${error.message}; its log: ${readFileSync(logFile, 'utf8').slice(-2000)}`);
  });
  return stop;
}
