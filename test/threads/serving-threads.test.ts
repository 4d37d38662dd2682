// HTTP_THREADS=2 against a real store: connections land on both threads, bytes stay exact and
// untorn across swaps of shared memory, SIGTERM drains every thread, a thread that dies is an
// internal fault, metrics count every thread's requests, `auto` follows the CPU affinity mask.
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Agent, request } from 'undici';
import { temporaryDirectory } from '../helpers/cleanup.ts';
import { metricValue, requestsByThread, scrapeOnNewConnection } from '../helpers/metrics.ts';
import { byMessage, spawnService, startService } from '../helpers/service.ts';
import { objectInStore } from '../helpers/serving.ts';
import { cgroupUnavailable, inCgroups } from '../helpers/cgroups.ts';
import { programMissing, testUnless } from '../helpers/skips.ts';
import { readWhileSwapping, versionOf, versionWriter } from '../helpers/version-swaps.ts';

const threads = { HTTP_THREADS: '2' };


test('connections land on both threads; bytes exact and never torn while versions swap', async () => {
  const size = 256 * 1024;
  const { store, env } = await objectInStore(versionOf(0, size));
  const writer = await versionWriter(store, env.S3_ENDPOINT!, env.S3_BUCKET!, size);
  const service = await startService({ env: { ...env, ...threads, S3_ENDPOINT: writer.endpoint, REFRESH_INTERVAL: '100ms' } });
  assert.is(service.logs.find(byMessage('listening'))?.httpThreads, 2);
  try {
    writer.start();
    // A new connection each time, so the kernel spreads them over both listeners.
    const { versions } = await readWhileSwapping(`${service.url}/`, size, { reset: true });
    assert.ok(versions.size >= 3, `only ${versions.size} versions served: no swaps to speak of`);
    const [main, second] = requestsByThread(await scrapeOnNewConnection(service.url));
    assert.ok(main! > 20 && second! > 20, `requests per thread: ${main}, ${second}`);
  } finally {
    await writer.stop();
    await service.kill();
  }
});

test('metrics count the requests of every thread', async () => {
  const { env } = await objectInStore('counted');
  const service = await startService({ env: { ...env, ...threads } });
  try {
    const before = metricValue(await scrapeOnNewConnection(service.url), 's3_object_cache_http_requests_total{code="200"}') ?? 0;
    for (let index = 0; index < 100; index++) await (await request(`${service.url}/`, { reset: true })).body.text();
    const after = await scrapeOnNewConnection(service.url);
    // The 100 GETs and the first scrape (counted once sent).
    assert.is(metricValue(after, 's3_object_cache_http_requests_total{code="200"}'), before + 101);
    assert.ok(requestsByThread(after).every((count) => count > 0), `per thread: ${requestsByThread(after).join(', ')}`);
  } finally {
    await service.kill();
  }
});

test('SIGTERM under load drains every thread: each response complete, readiness 503 everywhere, exit 0 within 5 s', async () => {
  const object = Buffer.alloc(1024 * 1024, 7);
  const { env } = await objectInStore(object);
  const service = await startService({ env: { ...env, ...threads, DRAIN_DELAY: '1s' } });
  const agent = new Agent({ connections: 16 });
  let signalled = false;
  let completed = 0;
  const clients = Array.from({ length: 16 }, async () => {
    while (!signalled || performance.now() < signalledAt + 500) {
      try {
        const response = await request(`${service.url}/`, { dispatcher: agent, reset: true });
        const body = Buffer.from(await response.body.arrayBuffer());
        assert.ok(body.equals(object), `a response was cut short: ${body.byteLength} bytes`);
        completed++;
      } catch (error) {
        if (!signalled) throw error;
        return; // the listeners closed: refused, as they should be
      }
    }
  });
  let signalledAt = Infinity;
  try {
    while (completed < 100) await new Promise((resolve) => setTimeout(resolve, 10));
    service.signal('SIGTERM');
    signalled = true;
    signalledAt = performance.now();
    await service.waitForLog('"stopping"', byMessage('stopping'));
    const readiness = await Promise.all(
      Array.from({ length: 10 }, async () => (await request(`${service.url}/-/readyz`, { reset: true })).statusCode),
    );
    assert.ok(readiness.every((status) => status === 503), `readiness while draining: ${readiness.join(' ')}`);
    await Promise.all(clients);
    const exit = await service.waitForExit();
    assert.is(exit.code, 0, service.stderr());
    assert.ok(exit.elapsedMs < 5_000, `took ${Math.round(exit.elapsedMs)} ms`);
    assert.not.ok(service.logs.some((line) => line.msg.includes('forcing exit')), 'the deadline had to force it');
  } finally {
    await agent.destroy();
  }
});

test('a serving thread that dies is an internal fault: exit 70 with one fatal line', async () => {
  // Injected through node's --import: the serving thread named http-1 is terminated once running.
  const injector = join(temporaryDirectory('thread-fault'), 'end-serving-thread.mjs');
  writeFileSync(
    injector,
    [
      "import { createRequire, syncBuiltinESMExports } from 'node:module';",
      'const threads = createRequire(import.meta.url)("node:worker_threads");',
      'const Original = threads.Worker;',
      'threads.Worker = class extends Original {',
      '  constructor(file, options) { super(file, options); if (options?.name === "http-1") setTimeout(() => void this.terminate(), 500); }',
      '};',
      'syncBuiltinESMExports();',
    ].join('\n'),
  );
  const { env } = await objectInStore('x');
  const service = await spawnService({ env: { ...env, ...threads }, nodeArgs: ['--import', injector] });
  const exit = await service.waitForExit();
  assert.is(exit.code, 70, service.stderr());
  const fatal = service.logs.filter((line) => line.level === 'fatal');
  assert.is(fatal.length, 1);
  assert.match(fatal[0]!.msg, /^internal fault: serving thread 1 exited unexpectedly/);
});

testUnless(programMissing('taskset', 'apt-get install util-linux'))('HTTP_THREADS=auto: the CPUs the affinity mask allows', async () => {
  const { env } = await objectInStore('x');
  for (const [cpus, expected] of [['0', 1], ['0,1', 2]] as const) {
    const service = await startService({ env: { ...env, HTTP_THREADS: 'auto' }, wrapper: ['taskset', '-c', cpus] });
    try {
      assert.is(service.logs.find(byMessage('listening'))?.httpThreads, expected, `taskset -c ${cpus}`);
    } finally {
      await service.kill();
    }
  }
});

testUnless(cgroupUnavailable('cpu'))('HTTP_THREADS=auto inside a cgroup CPU quota: the quota rounded up, and the start line says why', async () => {
  const { env } = await objectInStore('x');
  const mask = availableParallelism();
  for (const quotaUs of [50_000, 100_000, 150_000]) {
    const expected = Math.min(mask, Math.ceil(quotaUs / 100_000));
    const service = await startService({ env: { ...env, HTTP_THREADS: 'auto' }, wrapper: inCgroups({ cpuQuotaUs: quotaUs }) });
    try {
      assert.is(service.logs.find(byMessage('listening'))?.httpThreads, expected, `quota ${quotaUs} µs per 100 ms`);
      const { config } = service.logs.find(byMessage('starting')) as unknown as { config: { httpThreadsReason: string } };
      assert.match(config.httpThreadsReason, `cpu.cfs_quota_us) allows ${Math.ceil(quotaUs / 100_000)}`);
      assert.match(config.httpThreadsReason, `${mask} CPU`);
    } finally {
      await service.kill();
    }
  }
});

test.run();
