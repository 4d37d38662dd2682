// Real cgroup limits for a service a test starts: a cgroup of its own under each cgroup v1
// hierarchy it needs (cpu: what `docker run --cpus` and Kubernetes' limits.cpu set on such hosts;
// memory: their memory limit), entered by the service's command before node starts. Creating one
// needs root and writable v1 mounts; where there are none, `cgroupUnavailable` says why, for the skip.
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onCleanup } from './cleanup.ts';

type Controller = 'cpu' | 'memory';

/** A v1 hierarchy's mount point, from /proc/self/mountinfo. */
function hierarchy(controller: Controller): string | undefined {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [before, after] = line.split(' - ');
    const [type, , options = ''] = (after ?? '').split(' ');
    if (type === 'cgroup' && options.split(',').includes(controller)) return before!.split(' ')[4];
  }
  return undefined;
}

/** Why no `controller` group can be made here, or undefined when `inCgroups` works. */
export function cgroupUnavailable(controller: Controller): string | undefined {
  const mount = hierarchy(controller);
  if (mount === undefined) return `needs a cgroup v1 ${controller} hierarchy, and this machine mounts none (cgroup v2 only)`;
  const directory = join(mount, `s3-object-cache-probe-${process.pid}`);
  try {
    mkdirSync(directory);
    rmdirSync(directory);
    return undefined;
  } catch (error) {
    return `needs to create a cgroup under ${mount} (${(error as NodeJS.ErrnoException).code}); run the tests as root`;
  }
}

let groups = 0;

/**
 * A wrapper command (SpawnOptions.wrapper) that runs the service in new groups with these limits:
 * a CPU quota of `cpuQuotaUs` per 100 ms, a memory limit of `memoryBytes`.
 */
export function inCgroups(limits: { cpuQuotaUs?: number; memoryBytes?: number }): string[] {
  const files: Array<[Controller, Record<string, string>]> = [];
  if (limits.cpuQuotaUs !== undefined) files.push(['cpu', { 'cpu.cfs_period_us': '100000', 'cpu.cfs_quota_us': String(limits.cpuQuotaUs) }]);
  if (limits.memoryBytes !== undefined) files.push(['memory', { 'memory.limit_in_bytes': String(limits.memoryBytes) }]);
  const entries = files.map(([controller, settings]) => {
    const directory = join(hierarchy(controller)!, `s3-object-cache-test-${process.pid}-${groups++}`);
    mkdirSync(directory);
    onCleanup(() => rmdirSync(directory)); // registered first, so it runs after the service has stopped
    for (const [file, value] of Object.entries(settings)) writeFileSync(join(directory, file), value);
    return `echo $$ > ${join(directory, 'cgroup.procs')}`;
  });
  return ['sh', '-c', `${entries.join(' && ')} && exec "$@"`, 'sh'];
}
