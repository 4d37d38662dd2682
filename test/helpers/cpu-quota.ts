// A real CPU quota for a service a test starts: a cgroup of its own under cgroup v1's cpu
// hierarchy (what `docker run --cpus` and Kubernetes' limits.cpu set on such hosts), entered by
// the service's command before node starts. Creating one needs root and a writable v1 cpu mount;
// where there is none, `unavailable` says why, for the skip.
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onCleanup } from './cleanup.ts';

/** The v1 cpu hierarchy's mount point, from /proc/self/mountinfo. */
function cpuHierarchy(): string | undefined {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [before, after] = line.split(' - ');
    const [type, , options = ''] = (after ?? '').split(' ');
    if (type === 'cgroup' && options.split(',').includes('cpu')) return before!.split(' ')[4];
  }
  return undefined;
}

let groups = 0;

/** Makes a cgroup with `quotaUs` of CPU time per 100 ms; returns its directory. */
function makeGroup(hierarchy: string, quotaUs: number): string {
  const directory = join(hierarchy, `s3-object-cache-test-${process.pid}-${groups++}`);
  mkdirSync(directory);
  onCleanup(() => rmdirSync(directory)); // registered first, so it runs after the service has stopped
  writeFileSync(join(directory, 'cpu.cfs_period_us'), '100000');
  writeFileSync(join(directory, 'cpu.cfs_quota_us'), String(quotaUs));
  return directory;
}

function probe(): string | undefined {
  const hierarchy = cpuHierarchy();
  if (hierarchy === undefined) return 'needs a cgroup v1 cpu hierarchy, and this machine mounts none (cgroup v2 only)';
  const directory = join(hierarchy, `s3-object-cache-probe-${process.pid}`);
  try {
    mkdirSync(directory);
    rmdirSync(directory);
    return undefined;
  } catch (error) {
    return `needs to create a cgroup under ${hierarchy} (${(error as NodeJS.ErrnoException).code}); run the tests as root`;
  }
}

/** Why no quota can be made here, or undefined when `inCpuQuota` works. */
export const cpuQuotaUnavailable = probe();

/** A wrapper command (SpawnOptions.wrapper) that runs the service inside a new quota of `quotaUs` per 100 ms. */
export function inCpuQuota(quotaUs: number): string[] {
  const directory = makeGroup(cpuHierarchy()!, quotaUs);
  return ['sh', '-c', `echo $$ > ${join(directory, 'cgroup.procs')} && exec "$@"`, 'sh'];
}
