// How to run the built service, for the demo, the tests and the bench. The launch flags live in
// one place, the bin's shebang (the first line of src/main.ts, which the build keeps): `npm start`,
// the Dockerfile and the systemd unit run the bin itself; what runs `node` explicitly (to pick the
// node binary, or add flags of its own) takes them from here. test/unit/launch-flags.test.ts fails
// when a launcher drifts.
import { readFileSync } from 'node:fs';

export const serviceEntry = new URL('../dist/main.js', import.meta.url).pathname;

/** `#!/usr/bin/env -S NAME=value ... node --flag ...`: the environment and node's flags. */
export function parseShebang(line: string): { environment: Record<string, string>; nodeArgs: string[] } {
  const match = /^#!\/usr\/bin\/env -S ((?:\S+=\S* )*)node((?: \S+)*)$/.exec(line);
  if (match === null) throw new Error(`the bin's first line is not "#!/usr/bin/env -S [NAME=value ...] node [flags]": ${line}`);
  const environment = Object.fromEntries(match[1]!.trim().split(' ').filter(Boolean).map((pair) => pair.split('=', 2) as [string, string]));
  return { environment, nodeArgs: match[2]!.trim().split(' ').filter(Boolean) };
}

export const launch = parseShebang(readFileSync(new URL('../src/main.ts', import.meta.url), 'utf8').split('\n', 1)[0]!);

/** The environment the shebang gives the service (MALLOC_MMAP_THRESHOLD_: docs/memory.md). */
export const runEnvironment: Readonly<Record<string, string>> = launch.environment;

/** `entry`: another build of the service (the bench compares two). */
export function serviceArgs(args: readonly string[] = [], entry = serviceEntry): string[] {
  return [...launch.nodeArgs, entry, ...args];
}
