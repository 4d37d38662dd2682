// Main thread. How many CPUs this process may keep busy, for HTTP_THREADS=auto: the CPUs of its
// affinity mask (os.availableParallelism(): taskset, cpusets) and its cgroup's CPU quota, which is
// how Kubernetes applies limits.cpu and `docker run --cpus` its limit. A pod limited to 2 CPUs on a
// 64-core node sees 64 CPUs in its mask; 64 serving threads there would only queue for the quota
// and cost ~10 MiB each. Go 1.25's runtime and the JVM read the quota the same way: cgroup v2's
// cpu.max, or v1's cpu.cfs_quota_us over cpu.cfs_period_us, at the process's cgroup and every
// ancestor up to the mount (a parent's limit binds its children), rounded up to whole CPUs.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, posix } from 'node:path';

export interface CpuBudget {
  cpus: number;
  /** Why, for the start line: the mask, and the quota where one applies. */
  reason: string;
}

/** CPUs from a quota of `quotaUs` per `periodUs`, rounded up; undefined when unlimited. */
function quotaCpus(quotaUs: number, periodUs: number): number | undefined {
  if (!(quotaUs > 0) || !(periodUs > 0)) return undefined;
  return Math.max(1, Math.ceil(quotaUs / periodUs));
}

/** cgroup v2 `cpu.max`: `max 100000` (no limit) or `150000 100000` (1.5 CPUs: 2). */
export function cpusFromCpuMax(text: string): number | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === 'max') return undefined;
  return quotaCpus(Number(quota), Number(period ?? 100_000));
}

/** cgroup v1 `cpu.cfs_quota_us` (-1: no limit) and `cpu.cfs_period_us`. */
export function cpusFromCfs(quotaText: string, periodText: string): number | undefined {
  return quotaCpus(Number(quotaText.trim()), Number(periodText.trim()));
}

interface CpuController {
  version: 1 | 2;
  /** The directory of this process's cgroup, and the mount point above which nothing is read. */
  directory: string;
  mountPoint: string;
}

/**
 * Where this process's CPU controllers are: each cgroup filesystem mounted (/proc/self/mountinfo)
 * that holds the CPU controller, at the process's path in that hierarchy (/proc/self/cgroup),
 * relative to the part of the hierarchy the mount shows (a container sees its own cgroup as root).
 */
export function cpuControllers(mountinfo: string, cgroups: string): CpuController[] {
  const paths = new Map<string, string>(); // 'v2' or 'v1', the process's path in that hierarchy
  for (const line of cgroups.split('\n')) {
    const [id, controllers, path] = line.split(':');
    if (path === undefined) continue;
    if (id === '0' && controllers === '') paths.set('v2', path);
    else if (controllers!.split(',').includes('cpu')) paths.set('v1', path);
  }
  const found: CpuController[] = [];
  for (const line of mountinfo.split('\n')) {
    const [before, after] = line.split(' - ');
    if (after === undefined) continue;
    const [, , , root, mountPoint] = before!.split(' ');
    const [type, , superOptions = ''] = after.split(' ');
    const version = type === 'cgroup2' ? 2 : type === 'cgroup' && superOptions.split(',').includes('cpu') ? 1 : undefined;
    const path = version === undefined ? undefined : paths.get(`v${version}`);
    if (version === undefined || path === undefined || root === undefined || mountPoint === undefined) continue;
    const relative = posix.relative(root, path);
    if (relative.startsWith('..')) continue; // the process's cgroup is outside what this mount shows
    found.push({ version, directory: posix.join(mountPoint, relative), mountPoint });
  }
  return found;
}

const readText = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined; // no such controller file at this level (the root cgroup has none)
  }
};

/** The tightest quota on the way from `controller.directory` up to its mount, with where it is set. */
function tightestQuota(controller: CpuController, fileRoot: string): { cpus: number; file: string } | undefined {
  let tightest: { cpus: number; file: string } | undefined;
  for (let directory = controller.directory; ; directory = posix.dirname(directory)) {
    const at = (name: string) => join(fileRoot, directory, name);
    let cpus: number | undefined;
    let file: string;
    if (controller.version === 2) {
      file = at('cpu.max');
      const text = readText(file);
      cpus = text === undefined ? undefined : cpusFromCpuMax(text);
    } else {
      file = at('cpu.cfs_quota_us');
      const quota = readText(file);
      const period = readText(at('cpu.cfs_period_us'));
      cpus = quota === undefined || period === undefined ? undefined : cpusFromCfs(quota, period);
    }
    if (cpus !== undefined && (tightest === undefined || cpus < tightest.cpus)) tightest = { cpus, file };
    if (directory === controller.mountPoint || directory === '/') return tightest;
  }
}

/** The CPU quota of this process's cgroups, or undefined when none applies (or on a system without cgroups). */
export function cgroupCpuQuota(fileRoot = '/'): { cpus: number; file: string } | undefined {
  const mountinfo = readText(join(fileRoot, 'proc/self/mountinfo'));
  const cgroups = readText(join(fileRoot, 'proc/self/cgroup'));
  if (mountinfo === undefined || cgroups === undefined) return undefined;
  let tightest: { cpus: number; file: string } | undefined;
  for (const controller of cpuControllers(mountinfo, cgroups)) {
    const quota = tightestQuota(controller, fileRoot);
    if (quota !== undefined && (tightest === undefined || quota.cpus < tightest.cpus)) tightest = quota;
  }
  return tightest;
}

/** The smaller of the affinity mask's CPUs and the cgroup quota's, and why. */
export function cpuBudget(affinityCpus = availableParallelism(), quota = cgroupCpuQuota()): CpuBudget {
  const mask = `${affinityCpus} CPU${affinityCpus === 1 ? '' : 's'} in the affinity mask`;
  if (quota === undefined) return { cpus: affinityCpus, reason: `${mask}, no cgroup CPU quota` };
  if (quota.cpus >= affinityCpus) return { cpus: affinityCpus, reason: `${mask}; the cgroup CPU quota (${quota.file}) allows ${quota.cpus}` };
  return { cpus: quota.cpus, reason: `the cgroup CPU quota (${quota.file}) allows ${quota.cpus}; ${mask}` };
}
