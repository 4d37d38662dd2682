// Processes the tests and the bench start: ended at cleanup, and whether one is still there.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { onCleanup } from './cleanup.ts';
import { withTimeout } from './wait.ts';

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
