// Garbage collection for dead object versions. Bodies live outside V8's heap, and V8 frees dead
// ones only once about 64 MiB of them have piled up in a thread. A large body gets there alone;
// small ones pile up: with a changing 1 MiB object refreshed every 100 ms, RSS climbed from ~100
// to ~200 MiB before it levelled off (collecting only every few refreshes still left it ~20%
// higher: freed blocks are reused best by the very next allocation). So after each refresh that
// leaves a small body dead, the thread collects at once: a pause of a few milliseconds, once a
// refresh interval. Large bodies are left to V8, so that their refreshes never pause the main
// thread (bench: "event-loop delay during 64 MiB refreshes").
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// The documented way to reach gc() without starting node with --expose-gc: the flag makes new
// contexts carry the function.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const leftToV8Bytes = 32 * 1024 * 1024;

/** Reports a body of `bytes` that just became garbage. */
export function releaseDeadBuffer(bytes: number): void {
  if (bytes < leftToV8Bytes) gc();
}
