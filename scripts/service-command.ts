// How to run the built service, for the demo, the tests and the bench: its entry and the node
// flags the bin's shebang passes (--expose-gc, see src/shared/release-memory.ts).
export const serviceEntry = new URL('../dist/main.js', import.meta.url).pathname;

export function serviceArgs(args: readonly string[] = []): string[] {
  return ['--expose-gc', serviceEntry, ...args];
}
