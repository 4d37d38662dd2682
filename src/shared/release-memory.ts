// Main thread, serving threads and fetch worker. Garbage collection for dead object versions.
// Bodies live outside V8's heap, and V8 frees dead ones only once about 64 MiB of them have piled
// up in a thread. A large body gets there alone; small ones pile up: with a changing 1 MiB object
// refreshed every 100 ms, RSS climbed from ~100 to ~200 MiB before it levelled off (collecting
// only every few refreshes still left it ~20% higher: freed blocks are reused best by the very
// next allocation). So after each refresh that leaves a small body dead, the thread collects at
// once: a pause of a few milliseconds, once a refresh interval. Large bodies are left to V8, so
// that their refreshes never pause the main thread (bench: "event-loop delay during 64 MiB
// refreshes").
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

interface CollectOptions {
  type: 'major' | 'minor';
  execution: 'sync' | 'async';
  /** 'last-resort': V8's collection for low memory, several full ones that also return pages. */
  flavor: 'regular' | 'last-resort';
}
type Collect = (options?: CollectOptions) => void;

/**
 * V8's gc(), fetched the first time a thread needs it. `--expose-gc` on the command line would
 * give it at once, but any V8 flag off its default makes V8 reject the code cache Node ships for
 * its own modules, and every thread then starts ~25 ms slower (bench "start-up"). So the flag is
 * on only while a fresh context is made to hand the function out, and off again right after.
 * Node documents changing V8 flags after start-up as unpredictable in general; this flag is read
 * only when a context is created. If another thread switched it off in between, the context has
 * no gc(): undefined, and the next call tries again. A `gc` already global (node --expose-gc) is
 * used as is.
 */
function fetchGc(): Collect | undefined {
  const global = (globalThis as { gc?: Collect }).gc;
  if (global !== undefined) return global;
  setFlagsFromString('--expose-gc');
  try {
    const candidate: unknown = runInNewContext('typeof gc === "function" ? gc : undefined');
    return typeof candidate === 'function' ? (candidate as Collect) : undefined;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

let gc: Collect | undefined;
const lastResort: CollectOptions = { type: 'major', execution: 'sync', flavor: 'last-resort' };

function collect(options?: CollectOptions): void {
  gc ??= fetchGc();
  // Not gc(undefined): V8 reads an argument it cannot parse as "do nothing".
  if (options === undefined) gc?.();
  else gc?.(options);
}

/**
 * Collects everything and gives the freed pages back to the system: V8 keeps what a thread
 * allocated while it parsed and compiled its code until it has a reason to collect, and an idle
 * service never gives it one (idle RSS 85 MiB without, bench "RSS idle"). Several full
 * collections, ~25 ms on a small heap: once, when a thread has loaded its code and has nothing to
 * serve yet.
 */
export function releaseStartUpMemory(): void {
  collect(lastResort);
}

const leftToV8Bytes = 32 * 1024 * 1024;

/** On a serving thread: reports a body of `bytes` that just became garbage. */
export function releaseDeadBuffer(bytes: number): void {
  if (bytes < leftToV8Bytes) collect();
}

/**
 * In the fetch worker, after each new body: the response's chunks it was copied from are garbage,
 * whatever their size, and so is what the SDK allocated for the request. A pause there delays no
 * request, so the worker collects everything and returns the pages (~30 ms; without it, a 64 MiB
 * object held about 1.7 times its size for a while: bench "RSS holding a 64 MiB").
 */
export function collectGarbage(): void {
  collect(lastResort);
}
