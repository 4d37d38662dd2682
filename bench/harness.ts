// The bench's shared parts: its options, the table it prints and the JSON it writes, and helpers
// to start helper processes, read memory and place processes on cores.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, readdirSync } from 'node:fs';
import { stopAtCleanup } from '../test/helpers/processes.ts';
import { withTimeout } from '../test/helpers/wait.ts';

export const quick = process.argv.includes('--quick'); // a smoke run of the harness itself
export const only = process.argv.slice(2).filter((arg) => !arg.startsWith('--')); // scenario names
export const rounds = quick ? 1 : 5;
export const loadSeconds = quick ? 1 : 5;
// Throughput alternates short runs: this VM's speed drifts by tens of percent over tens of
// seconds, and only A/B pairs close in time cancel that.
export const throughputPairs = quick ? 2 : 8;
export const throughputSeconds = quick ? 1 : 2;
export const MiB = 1024 * 1024;

export interface Row {
  figure: string;
  value: string;
  budget: string;
  met: boolean | undefined; // undefined: reported, no budget
}
export const rows: Row[] = [];
export const raw: Record<string, unknown> = {};

export function record(figure: string, value: string, budget: string, met: boolean | undefined): void {
  rows.push({ figure, value, budget, met });
  console.error(`  ${met === undefined ? ' ' : met ? '✓' : '✗'} ${figure}: ${value} (${budget})`);
}

export const fmt = (value: number, digits = 2) => value.toFixed(digits);

export function rssBytes(pid: number): number {
  return residentMemory(pid).rss;
}

/** Resident memory of `pid`, and of it what is mapped from files (the node binary's code pages), read at one moment. */
export function residentMemory(pid: number): { rss: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const bytes = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { rss: bytes('VmRSS'), file: bytes('RssFile') };
}

/**
 * Starts a helper server (a script, with `nodeArgs` and `env` added to the bench's own) as a child
 * process; resolves with the first line it prints (its port or endpoint), its pid, and a stop that
 * the cleanup also runs.
 */
export async function startHelper(
  script: string,
  args: string[],
  { nodeArgs = [], env = {} }: { nodeArgs?: string[]; env?: Record<string, string> } = {},
): Promise<{ firstLine: string; pid: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = stopAtCleanup(child, 'SIGTERM');
  const [chunk] = (await withTimeout(once(child.stdout, 'data'), 10_000, `${script} to print its address`)) as [Buffer];
  return { firstLine: chunk.toString().trim(), pid: child.pid!, stop };
}

export const benchScript = (name: string) => new URL(`./${name}.ts`, import.meta.url).pathname;

/**
 * Sets the CPU affinity of a process (all its threads, and the children it starts later) or, with
 * `threadOnly`, of its main thread alone (whose thread id is the pid).
 */
export function pinToCore(pid: number, cores: number | number[], { threadOnly = false } = {}): void {
  const list = [cores].flat().join(',');
  execFileSync('taskset', threadOnly ? ['-pc', list, String(pid)] : ['-apc', list, String(pid)], { stdio: 'ignore' });
}

/** This process and every process it started (the store among them), for pinToCore. */
export function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/PID/stat is the parent pid; the name in field 2 may hold spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // the process ended meanwhile
    }
  }
  const tree = [root];
  for (let index = 0; index < tree.length; index++) {
    for (const [pid, parent] of parents) if (parent === tree[index]) tree.push(pid);
  }
  return tree;
}
