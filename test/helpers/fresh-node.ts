// Scripts run in a fresh node process, for what hangs on process-wide state (a V8 flag such as
// --expose-gc, a native addon loaded): in its main thread, or in a worker thread of it.
import { execFileSync } from 'node:child_process';

/** Runs `script` (an ES module) in a fresh node with `flags`; returns what it printed. */
export function inFreshNode(flags: string[], script: string): string {
  return execFileSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 }).trim();
}

/** Runs `script` in a worker thread of a fresh node with `flags`; returns what it printed, or its error. */
export function inWorkerOfFreshNode(flags: string[], script: string): string {
  return inFreshNode(
    flags,
    `
    import { Worker } from 'node:worker_threads';
    const worker = new Worker(${JSON.stringify(script)}, { eval: true, stdout: true });
    let text = '';
    worker.stdout.on('data', (chunk) => (text += chunk));
    worker.on('error', (error) => console.log(error.message));
    worker.on('exit', () => console.log(text.trim()));
  `,
  );
}
