// Main thread and fetch worker. Garbage collection for dead object versions. Bodies live outside
// V8's heap, and V8 frees dead ones only once about 64 MiB of them have piled up in a thread. A
// large body gets there alone; small ones pile up: with a changing 1 MiB object refreshed every
// 100 ms, RSS climbed from ~100 to ~200 MiB before it levelled off (collecting only every few
// refreshes still left it ~20% higher: freed blocks are reused best by the very next allocation).
// So after each refresh that leaves a small body dead, the thread collects at once: a pause of a
// few milliseconds, once a refresh interval. Large bodies are left to V8, so that their refreshes
// never pause the main thread (bench: "event-loop delay during 64 MiB refreshes").
//
// gc() exists only when node was started with --expose-gc (a process-wide flag that every thread
// sees): the bin, `npm start`, the Dockerfile and the systemd unit pass it. Turning the flag on at
// run time is unsafe (Node's documentation of v8.setFlagsFromString), so without it V8 decides.

const gc = (globalThis as { gc?: () => void }).gc;

const leftToV8Bytes = 32 * 1024 * 1024;

/** On a serving thread: reports a body of `bytes` that just became garbage. */
export function releaseDeadBuffer(bytes: number): void {
  if (gc !== undefined && bytes < leftToV8Bytes) gc();
}

/**
 * In the fetch worker, after each new body: the response's chunks it was copied from are garbage,
 * whatever their size. A pause there delays no request, so the worker always collects (without
 * it, a 64 MiB object held about 1.7 times its size for a while: bench "RSS holding a 64 MiB").
 */
export function collectGarbage(): void {
  gc?.();
}
