// The processes a test file left behind. Each file runs as the leader of a session of its own
// (setsid), and everything it starts stays in that session unless it calls setsid itself: the
// services, the stores, supervisord and the children supervisord puts in process groups of their
// own (a process group, unlike a session, would let those escape). Linux's /proc tells who is in it.
import { readdirSync, readFileSync } from 'node:fs';

export interface LeftProcess {
  pid: number;
  /** Its command line, for the report. */
  args: string;
}

/** Fields of /proc/PID/stat after the command name, which may itself hold spaces and parentheses. */
function statFields(pid: string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // gone meanwhile
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '(gone)';
  }
}

/** Live processes of session `sessionId` (zombies are already dead and are not counted). */
export function processesInSession(sessionId: number): LeftProcess[] {
  const found: LeftProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    // state ppid pgrp session ...
    if (fields === undefined || fields[0] === 'Z' || Number(fields[3]) !== sessionId) continue;
    found.push({ pid: Number(entry), args: commandLine(Number(entry)) });
  }
  return found;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What is still running in the session after `graceMs` (a process may be on its way out when the
 * file ends: a store acknowledging its stop), then kills it, bounded: a process that forks while
 * it is killed is found by the next pass.
 */
export async function endSession(sessionId: number, graceMs = 1_000): Promise<LeftProcess[]> {
  const deadline = performance.now() + graceMs;
  let left = processesInSession(sessionId);
  while (left.length > 0 && performance.now() < deadline) {
    await sleep(50);
    left = processesInSession(sessionId);
  }
  for (let pass = 0; pass < 20; pass++) {
    const running = processesInSession(sessionId);
    if (running.length === 0) break;
    for (const { pid } of running) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    await sleep(50);
  }
  return left;
}
