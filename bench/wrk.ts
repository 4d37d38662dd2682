// HTTP load with wrk (Debian's package, C): the load generator for the serving-threads figures,
// where autocannon (one JavaScript thread) would saturate before the service does.
import { execFileSync, spawnSync } from 'node:child_process';

const randomPathsScript = new URL('./random-paths.lua', import.meta.url).pathname;

export interface WrkResult {
  requestsPerSecond: number;
  p99Ms: number;
}

export function wrkAvailable(): boolean {
  return spawnSync('wrk', ['--version']).error === undefined;
}

/**
 * `cpus`: the cores wrk may run on (taskset), so that its place is stated, not left to chance.
 * `pathsFile`: a file of paths, one a line, of which each request takes one at random (else `url`'s).
 * `headers`: `Name: value` lines every request sends.
 */
export function runWrk(url: string, connections: number, seconds: number, cpus: string, pathsFile?: string, headers: string[] = []): WrkResult {
  const script = pathsFile === undefined ? [] : ['-s', randomPathsScript];
  const headerArgs = headers.flatMap((header) => ['-H', header]);
  const output = execFileSync('taskset', ['-c', cpus, 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--latency', ...script, ...headerArgs, url], {
    encoding: 'utf8',
    env: { ...process.env, ...(pathsFile === undefined ? {} : { BENCH_PATHS: pathsFile }) },
  });
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(output)?.[1];
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s)$/m.exec(output);
  if (rate === undefined || !p99) throw new Error(`cannot read wrk's output:\n${output}`);
  const toMs = { us: 0.001, ms: 1, s: 1000 } as const;
  return { requestsPerSecond: Number(rate), p99Ms: Number(p99[1]) * toMs[p99[2] as keyof typeof toMs] };
}
