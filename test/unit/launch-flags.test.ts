// The launch flags (node's --expose-gc, glibc's MALLOC_MMAP_THRESHOLD_) live in one place, the bin's
// shebang: every launcher runs the bin itself or takes them from scripts/service-command.ts, which
// reads the shebang. This fails when one drifts: a launcher that runs `node` itself, or writes a
// flag of its own.
import { accessSync, constants, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { launch, parseShebang, serviceArgs, serviceEntry } from '../../scripts/service-command.ts';

const root = new URL('../../', import.meta.url).pathname;
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');
const shebang = read('src/main.ts').split('\n', 1)[0]!;

test('the shebang holds the flags the memory policy needs', () => {
  assert.equal(launch, { environment: { MALLOC_MMAP_THRESHOLD_: '65536' }, nodeArgs: ['--expose-gc'] });
  assert.equal(parseShebang('#!/usr/bin/env -S node'), { environment: {}, nodeArgs: [] });
  assert.throws(() => parseShebang('#!/usr/bin/node --expose-gc'), /not "#!\/usr\/bin\/env -S/);
});

test('the built bin keeps the shebang and is executable', () => {
  assert.is(readFileSync(serviceEntry, 'utf8').split('\n', 1)[0], shebang);
  accessSync(serviceEntry, constants.X_OK);
  assert.equal(serviceArgs(['--help']), ['--expose-gc', serviceEntry, '--help']);
});

test('npm start, the Dockerfile and the systemd unit run the bin itself', () => {
  const packageJson = JSON.parse(read('package.json')) as { scripts: Record<string, string>; bin: Record<string, string> };
  assert.is(packageJson.scripts.start, 'dist/main.js');
  assert.is(packageJson.bin['s3-object-cache'], 'dist/main.js');
  const dockerfile = read('Dockerfile');
  assert.match(dockerfile, /^ENTRYPOINT \["\/app\/dist\/main\.js"\]$/m);
  assert.match(dockerfile, /CMD \["\/app\/dist\/main\.js", "--healthcheck"\]/);
  assert.match(read('deploy/s3-object-cache.service'), /^ExecStart=\/usr\/bin\/env \/opt\/s3-object-cache\/dist\/main\.js$/m);
});

test('the Kubernetes manifest runs the image as built: no command, args or flags of its own', () => {
  const deployment = parse(read('deploy/kubernetes/deployment.yaml')) as {
    spec: { template: { spec: { containers: Array<Record<string, unknown> & { env?: Array<{ name: string }> }> } } };
  };
  for (const container of deployment.spec.template.spec.containers) {
    assert.is(container.command, undefined);
    assert.is(container.args, undefined);
    assert.not.ok(container.env?.some(({ name }) => name === 'NODE_OPTIONS' || name in launch.environment));
  }
});

test('no launcher writes a flag of its own', () => {
  const launchers = ['package.json', 'Dockerfile', 'deploy/s3-object-cache.service', 'deploy/kubernetes/deployment.yaml', 'compose.yaml', 'scripts/demo.ts', 'scripts/container-test.sh', 'bench/run.ts', 'test/helpers/service.ts'];
  const flags = [...launch.nodeArgs, ...Object.keys(launch.environment)];
  for (const file of launchers) {
    const text = read(file).replaceAll(/^\s*(#|\/\/).*$/gm, ''); // comments may name them
    for (const flag of flags) assert.not.ok(text.includes(flag), `${file} writes ${flag} itself`);
  }
});

test.run();
