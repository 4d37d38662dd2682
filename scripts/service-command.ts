// How to run the built service, for the demo, the tests and the bench: its entry, the node flags
// and the environment the bin's shebang, `npm start`, the Dockerfile and the systemd unit give it.
export const serviceEntry = new URL('../dist/main.js', import.meta.url).pathname;

/**
 * glibc serves allocations of 64 KiB and up (the socket chunks a body is read from) from mmap, so
 * freeing them returns the memory: otherwise a 64 MiB object left ~0.7 of its size in the fetch
 * worker's malloc arena for good (README, "Memory").
 */
export const runEnvironment = { MALLOC_MMAP_THRESHOLD_: '65536' } as const;

export function serviceArgs(args: readonly string[] = []): string[] {
  return ['--expose-gc', serviceEntry, ...args];
}
