// What the cgroups allow (HTTP_THREADS=auto's CPU budget, the memory limit metric) over the cgroup
// file formats, on made-up /proc and /sys trees.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesFromMemoryLimit, cgroupLimit, controllerMounts, cpuBudget, cpusFromCfs, cpusFromCpuMax } from '../../../src/main/cgroup-limits.ts';
import { temporaryDirectory } from '../../helpers/cleanup.ts';

/** A file tree under a fresh directory: {'proc/self/cgroup': '...', ...}. */
function tree(files: Record<string, string>): string {
  const root = temporaryDirectory('cgroup');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const v2Mount = '29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate';
const v1CpuMount = '31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct';
const v1MemoryMount = '34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory';

test('cgroup v2 cpu.max: "max" is no limit; a quota is rounded up to whole CPUs, at least one', () => {
  assert.is(cpusFromCpuMax('max 100000\n'), undefined);
  assert.is(cpusFromCpuMax('200000 100000\n'), 2);
  assert.is(cpusFromCpuMax('150000 100000\n'), 2, 'fractional: 1.5 CPUs');
  assert.is(cpusFromCpuMax('50000 100000\n'), 1, 'half a CPU still runs one thread');
  assert.is(cpusFromCpuMax('400000 50000\n'), 8, 'another period');
  assert.is(cpusFromCpuMax('100000\n'), 1, 'period left out: 100 ms');
});

test('cgroup v1 cfs: a quota of -1 is no limit; a quota over its period is rounded up', () => {
  assert.is(cpusFromCfs('-1\n', '100000\n'), undefined);
  assert.is(cpusFromCfs('250000\n', '100000\n'), 3);
  assert.is(cpusFromCfs('100000\n', '100000\n'), 1);
});

test('controllers: the mounts holding the CPU controller, at the process\'s path relative to what each mount shows', () => {
  assert.equal(controllerMounts(v2Mount, '0::/kubepods/pod1/container\n', 'cpu'), [
    { version: 2, directory: '/sys/fs/cgroup/kubepods/pod1/container', mountPoint: '/sys/fs/cgroup' },
  ]);
  assert.equal(controllerMounts([v1CpuMount, v1MemoryMount].join('\n'), '4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n', 'cpu'), [
    { version: 1, directory: '/sys/fs/cgroup/cpu,cpuacct/docker/abc', mountPoint: '/sys/fs/cgroup/cpu,cpuacct' },
  ]);
  // A container's own cgroup namespace: the mount's root is the container's cgroup.
  const containerMount = '40 30 0:28 /docker/abc /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu';
  assert.equal(controllerMounts(containerMount, '3:cpu:/docker/abc\n', 'cpu'), [{ version: 1, directory: '/sys/fs/cgroup/cpu', mountPoint: '/sys/fs/cgroup/cpu' }]);
  assert.equal(controllerMounts(v1MemoryMount, '4:memory:/\n', 'cpu'), [], 'no CPU controller');
  assert.equal(controllerMounts(v1MemoryMount, '4:memory:/docker/abc\n', 'memory'), [
    { version: 1, directory: '/sys/fs/cgroup/memory/docker/abc', mountPoint: '/sys/fs/cgroup/memory' },
  ]);
});

test('v2: the tightest quota from the process\'s cgroup up to the mount (a parent binds its children)', () => {
  const root = tree({
    'proc/self/mountinfo': `${v2Mount}\n`,
    'proc/self/cgroup': '0::/kubepods/pod1/container\n',
    'sys/fs/cgroup/kubepods/pod1/container/cpu.max': 'max 100000\n',
    'sys/fs/cgroup/kubepods/pod1/cpu.max': '150000 100000\n',
    'sys/fs/cgroup/kubepods/cpu.max': '800000 100000\n',
  });
  assert.equal(cgroupLimit('cpu', root), { value: 2, file: join(root, 'sys/fs/cgroup/kubepods/pod1/cpu.max') });
});

test('v1 (and hybrid, v2 mounted without the CPU controller): the cfs quota of the cpu hierarchy', () => {
  const root = tree({
    'proc/self/mountinfo': [v1CpuMount, '40 30 0:37 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw'].join('\n'),
    'proc/self/cgroup': '3:cpu,cpuacct:/docker/abc\n0::/docker/abc\n',
    'sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '300000\n',
    'sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000\n',
    'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '-1\n',
    'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n',
  });
  assert.equal(cgroupLimit('cpu', root), { value: 3, file: join(root, 'sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us') });
});

test('no quota anywhere, or no cgroup files at all: none', () => {
  const unlimited = tree({
    'proc/self/mountinfo': `${v2Mount}\n`,
    'proc/self/cgroup': '0::/user.slice\n',
    'sys/fs/cgroup/user.slice/cpu.max': 'max 100000\n',
  });
  assert.is(cgroupLimit('cpu', unlimited), undefined);
  assert.is(cgroupLimit('cpu', tree({})), undefined);
});

test('the budget is the smaller of the affinity mask and the quota, and says why', () => {
  const quota = { value: 2, file: '/sys/fs/cgroup/cpu.max' };
  assert.equal(cpuBudget(64, quota), { cpus: 2, reason: 'the cgroup CPU quota (/sys/fs/cgroup/cpu.max) allows 2; 64 CPUs in the affinity mask' });
  assert.equal(cpuBudget(1, quota), { cpus: 1, reason: '1 CPU in the affinity mask; the cgroup CPU quota (/sys/fs/cgroup/cpu.max) allows 2' });
  assert.equal(cpuBudget(4, undefined), { cpus: 4, reason: '4 CPUs in the affinity mask, no cgroup CPU quota' });
});

test('memory: v2 memory.max and v1 memory.limit_in_bytes, "max" and v1\'s huge value as no limit, the tightest ancestor', () => {
  assert.is(bytesFromMemoryLimit('max\n'), undefined);
  assert.is(bytesFromMemoryLimit('335544320\n'), 335_544_320);
  assert.is(bytesFromMemoryLimit('9223372036854771712\n'), undefined);
  const v2 = tree({
    'proc/self/mountinfo': `${v2Mount}\n`,
    'proc/self/cgroup': '0::/kubepods/pod1/container\n',
    'sys/fs/cgroup/kubepods/pod1/container/memory.max': 'max\n',
    'sys/fs/cgroup/kubepods/pod1/memory.max': '335544320\n',
  });
  assert.equal(cgroupLimit('memory', v2), { value: 335_544_320, file: join(v2, 'sys/fs/cgroup/kubepods/pod1/memory.max') });
  const v1 = tree({
    'proc/self/mountinfo': `${v1MemoryMount}\n`,
    'proc/self/cgroup': '4:memory:/docker/abc\n',
    'sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes': '268435456\n',
    'sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712\n',
  });
  assert.equal(cgroupLimit('memory', v1), { value: 268_435_456, file: join(v1, 'sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes') });
  assert.is(cgroupLimit('memory', tree({ 'proc/self/mountinfo': `${v1MemoryMount}\n`, 'proc/self/cgroup': '4:memory:/\n' })), undefined);
});

test.run();
