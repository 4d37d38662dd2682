// Main thread, serving threads and fetch worker. Garbage collection for dead object versions.
// Bodies live outside V8's heap, and V8 frees dead ones only once about 64 MiB of them have piled
// up in a thread. A large body gets there alone; small ones pile up: with a changing 1 MiB object
// refreshed every 100 ms, RSS climbed from ~100 to ~200 MiB before it levelled off (collecting
// only every few refreshes still left it ~20% higher: freed blocks are reused best by the very
// next allocation). So after each refresh that leaves a small body dead, the thread collects at
// once: a pause of a few milliseconds, once a refresh interval. Large bodies are left to V8, so
// that their refreshes never pause the main thread (bench: "event-loop delay during 64 MiB
// refreshes").
//
// gc() exists only when node was started with --expose-gc (a process-wide flag that every thread
// sees): the bin, `npm start`, the Dockerfile and the systemd unit pass it; without it V8 decides.
// Fetching gc() at run time instead (the flag on just long enough to create a context that has
// it) saved ~25 ms of start-up per thread, but a second context in a serving thread's isolate cost
// ~20% of its throughput once it had been idle a few seconds (README, "Memory").
//
// What V8 frees, and what Node and the libraries it uses free, goes back to the C heap, where glibc
// keeps it for the next allocations and returns only the top of each heap to the system: after a
// burst of allocations (fetching a site, a burst of requests) most of it stays resident. So after
// collecting, the C heap's free pages are returned as well, by malloc_trim (malloc-trim.c).
import { createRequire } from 'node:module';

interface CollectOptions {
  type: 'major' | 'minor';
  execution: 'sync' | 'async';
  /** 'last-resort': V8's collection for low memory, several full ones that also return pages. */
  flavor: 'regular' | 'last-resort';
}

const gc = (globalThis as { gc?: (options?: CollectOptions) => void }).gc;
const lastResort: CollectOptions = { type: 'major', execution: 'sync', flavor: 'last-resort' };

/**
 * Gives every free page of every thread's C heap back to the system (glibc's malloc_trim(0)), the
 * heaps locked one at a time meanwhile: 13-46 ms in the fetch worker after refreshes of a
 * 1,000-object site under load, which left the main event loop's p99 as it was (README, "Memory").
 * A no-op where the build had no C compiler for the addon next to the bundle (scripts/build.ts),
 * or the C library has no such call.
 */
export const returnFreePages: () => void = (() => {
  try {
    const addon = createRequire(import.meta.url)('./malloc-trim.node') as { trim: () => boolean };
    return () => void addon.trim();
  } catch {
    return () => {};
  }
})();

/**
 * Collects everything and gives the freed pages back to the system: V8 keeps what a thread
 * allocated while it parsed and compiled its code until it has a reason to collect, and an idle
 * service never gives it one (idle RSS 85 MiB without, bench "RSS idle"). Several full
 * collections, ~25 ms on a small heap: once, when a thread has loaded its code and has nothing to
 * serve yet; in prefix mode once more, when the first snapshot is built and the port not yet
 * open (deserialising and building a 1,000-object snapshot grows a heap by ~9 MiB it keeps).
 */
export function releaseStartUpMemory(): void {
  gc?.(lastResort);
  returnFreePages();
}

const leftToV8Bytes = 32 * 1024 * 1024;

/** On a serving thread: reports a body of `bytes` that just became garbage. */
export function releaseDeadBuffer(bytes: number): void {
  // gc() bare: V8 reads an argument it cannot parse, undefined included, as "do nothing".
  if (bytes < leftToV8Bytes) gc?.();
}

/**
 * In the fetch worker, after each new body: the response's chunks it was copied from are garbage,
 * whatever their size, and so is what the SDK allocated for the request. A pause there delays no
 * request, so the worker collects everything and returns the pages (~30 ms; without it, a 64 MiB
 * object held about 1.7 times its size for a while: bench "RSS holding a 64 MiB").
 */
export function collectGarbage(): void {
  gc?.(lastResort);
}
