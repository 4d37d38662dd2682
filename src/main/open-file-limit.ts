// Main thread. The soft limit on open files (`ulimit -n`), from which MAX_CONNECTIONS' default is
// derived: Node has no getrlimit, Linux shows it in /proc. Elsewhere the caller assumes a default.
import { readFileSync } from 'node:fs';

export function softOpenFileLimit(): number | undefined {
  try {
    const line = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return line ? Number(line[1]) : undefined;
  } catch {
    return undefined;
  }
}
