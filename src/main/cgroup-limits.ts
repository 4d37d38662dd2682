// Main thread. What this process's cgroups allow it, read as Go 1.25's runtime and the JVM read it:
// at the process's cgroup and every ancestor up to the mount (a parent's limit binds its
// children), in cgroup v2 or v1, whichever holds the controller.
// - CPU, for HTTP_THREADS=auto: the smaller of the affinity mask (os.availableParallelism():
//   taskset, cpusets) and the quota rounded up to whole CPUs (v2 cpu.max, v1 cpu.cfs_quota_us over
//   cpu.cfs_period_us), which is how Kubernetes applies limits.cpu and `docker run --cpus` theirs.
//   A pod limited to 2 CPUs on a 64-core node sees 64 CPUs in its mask; 64 serving threads there
//   would only queue for the quota and cost ~10 MiB each.
// - Memory, for the metric an alert compares RSS with: v2 memory.max, v1 memory.limit_in_bytes.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, posix } from 'node:path';

export interface CpuBudget {
  cpus: number;
  /** Why, for the start line: the mask, and the quota where one applies. */
  reason: string;
}

/** A limit and the file that sets it. */
export interface CgroupLimit {
  value: number;
  file: string;
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

/** v1 writes "no limit" as the largest page-aligned value (9223372036854771712); v2 as `max`. */
const unlimitedBytes = 2 ** 60;

/** cgroup v2 `memory.max` or v1 `memory.limit_in_bytes`: bytes, or undefined when unlimited. */
export function bytesFromMemoryLimit(text: string): number | undefined {
  const value = text.trim();
  if (value === 'max' || !/^\d+$/.test(value)) return undefined;
  const bytes = Number(value);
  return bytes >= unlimitedBytes ? undefined : bytes;
}

type Controller = 'cpu' | 'memory';

interface ControllerMount {
  version: 1 | 2;
  /** The directory of this process's cgroup, and the mount point above which nothing is read. */
  directory: string;
  mountPoint: string;
}

/**
 * Where this process's `controller` is: each cgroup filesystem mounted (/proc/self/mountinfo) that
 * holds it, at the process's path in that hierarchy (/proc/self/cgroup), relative to the part of
 * the hierarchy the mount shows (a container sees its own cgroup as root). v2 mounts are candidates
 * for every controller; a v2 file that is not there (the controller not enabled) counts as no limit.
 */
export function controllerMounts(mountinfo: string, cgroups: string, controller: Controller): ControllerMount[] {
  const paths = new Map<string, string>(); // 'v2' or 'v1', the process's path in that hierarchy
  for (const line of cgroups.split('\n')) {
    const [id, controllers, path] = line.split(':');
    if (path === undefined) continue;
    if (id === '0' && controllers === '') paths.set('v2', path);
    else if (controllers!.split(',').includes(controller)) paths.set('v1', path);
  }
  const found: ControllerMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const [before, after] = line.split(' - ');
    if (after === undefined) continue;
    const [, , , root, mountPoint] = before!.split(' ');
    const [type, , superOptions = ''] = after.split(' ');
    const version = type === 'cgroup2' ? 2 : type === 'cgroup' && superOptions.split(',').includes(controller) ? 1 : undefined;
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

/** How each controller's limit is read in one cgroup directory: the value, and the file that set it. */
const readers: Record<Controller, (mount: ControllerMount, at: (name: string) => string) => CgroupLimit | undefined> = {
  cpu: ({ version }, at) => {
    const file = at(version === 2 ? 'cpu.max' : 'cpu.cfs_quota_us');
    const text = readText(file);
    const period = version === 2 ? '' : readText(at('cpu.cfs_period_us'));
    if (text === undefined || period === undefined) return undefined;
    const cpus = version === 2 ? cpusFromCpuMax(text) : cpusFromCfs(text, period);
    return cpus === undefined ? undefined : { value: cpus, file };
  },
  memory: ({ version }, at) => {
    const file = at(version === 2 ? 'memory.max' : 'memory.limit_in_bytes');
    const text = readText(file);
    const bytes = text === undefined ? undefined : bytesFromMemoryLimit(text);
    return bytes === undefined ? undefined : { value: bytes, file };
  },
};

/** The tightest limit of `controller` on this process (its cgroups and their ancestors), or undefined. */
export function cgroupLimit(controller: Controller, fileRoot = '/'): CgroupLimit | undefined {
  const mountinfo = readText(join(fileRoot, 'proc/self/mountinfo'));
  const cgroups = readText(join(fileRoot, 'proc/self/cgroup'));
  if (mountinfo === undefined || cgroups === undefined) return undefined;
  let tightest: CgroupLimit | undefined;
  for (const mount of controllerMounts(mountinfo, cgroups, controller)) {
    for (let directory = mount.directory; ; directory = posix.dirname(directory)) {
      const limit = readers[controller](mount, (name) => join(fileRoot, directory, name));
      if (limit !== undefined && (tightest === undefined || limit.value < tightest.value)) tightest = limit;
      if (directory === mount.mountPoint || directory === '/') break;
    }
  }
  return tightest;
}

/** The smaller of the affinity mask's CPUs and the cgroup quota's, and why. */
export function cpuBudget(affinityCpus = availableParallelism(), quota = cgroupLimit('cpu')): CpuBudget {
  const mask = `${affinityCpus} CPU${affinityCpus === 1 ? '' : 's'} in the affinity mask`;
  if (quota === undefined) return { cpus: affinityCpus, reason: `${mask}, no cgroup CPU quota` };
  if (quota.value >= affinityCpus) return { cpus: affinityCpus, reason: `${mask}; the cgroup CPU quota (${quota.file}) allows ${quota.value}` };
  return { cpus: quota.value, reason: `the cgroup CPU quota (${quota.file}) allows ${quota.value}; ${mask}` };
}
