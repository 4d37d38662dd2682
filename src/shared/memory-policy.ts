// Main thread, serving threads and fetch worker. When memory is given back, one function per
// moment it happens (docs/memory.md has the measurements behind each choice).
//
// Bodies live outside V8's heap, and V8 frees dead ones only once about 64 MiB of them have piled
// up in a thread: after a swap leaves a small body dead, the thread collects at once (a pause of a
// few milliseconds, once a refresh); large ones are left to V8, so that their swaps never pause the
// main thread. What is freed goes back to the C heap, where glibc keeps it: its free pages are
// returned to the system by malloc_trim (src/shared/malloc-trim.c, built next to the bundle).
// gc() exists only with --expose-gc, which the bin's shebang passes (src/main.ts, its first line).
import { createRequire } from 'node:module';

interface CollectOptions {
  type: 'major' | 'minor';
  execution: 'sync' | 'async';
  /** 'last-resort': V8's collection for low memory, several full ones that also return pages. */
  flavor: 'regular' | 'last-resort';
}

const gc = (globalThis as { gc?: (options?: CollectOptions) => void }).gc;
const lastResort: CollectOptions = { type: 'major', execution: 'sync', flavor: 'last-resort' };
/** Dead bodies at least this large are left to V8. */
const leftToV8Bytes = 32 * 1024 * 1024;

const addon = (() => {
  try {
    return { trim: (createRequire(import.meta.url)('./malloc-trim.node') as { trim: () => boolean }).trim, why: undefined };
  } catch (error) {
    return { trim: undefined, why: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
})();

/** For the start line: whether freed C memory goes back to the system, and if not, why. */
export const mallocTrim: string = addon.trim === undefined ? `inactive (malloc-trim.node: ${addon.why}; see docs/memory.md)` : 'active';

/** Every free page of every thread's C heap back to the system (13-46 ms with a busy heap). */
function returnFreePages(): void {
  addon.trim?.();
}

function collectEverything(): void {
  gc?.(lastResort);
  returnFreePages();
}

/**
 * A thread has loaded its code and has nothing to serve yet: what parsing and compiling allocated
 * is kept until V8 has a reason to collect, and an idle service never gives it one.
 */
export function threadLoaded(): void {
  collectEverything();
}

/** Building a snapshot of many entries grows a heap by ~9 KiB an entry that it keeps: once, before the port opens. */
export function firstSnapshotBuilt(entries: number): void {
  if (entries > 1) collectEverything();
}

/** A swap left `releasedBytes` of bodies dead in this thread. */
export function snapshotReplaced(releasedBytes: number): void {
  // gc() bare: V8 reads an argument it cannot parse, undefined included, as "do nothing".
  if (releasedBytes > 0 && releasedBytes < leftToV8Bytes) gc?.();
}

/**
 * The fetch worker after each refresh: a changed one leaves the response chunks the bodies were
 * copied from, whatever their size; any one leaves the serving threads' freed pages since the last.
 */
export function afterFetch(outcome: 'changed' | 'unchanged' | 'failed'): void {
  if (outcome === 'changed') collectEverything();
  else returnFreePages();
}
