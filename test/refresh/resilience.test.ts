// Opt-in resilience against a real store, its outages through scripts/store-fault.sh:
// STALE_IF_ERROR keeps serving the last good object within a bound, CACHE_FILE survives restarts
// while the store is down. The default (exit 1) is tested in background-failure.test.ts.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import { fixturesClient } from '../../scripts/fixtures-client.ts';
import { temporaryDirectory } from '../helpers/cleanup.ts';
import { metricValue } from '../helpers/metrics.ts';
import { byMessage, spawnService, startService, type LogLine, type ServiceProcess } from '../helpers/service.ts';
import { objectInStore } from '../helpers/serving.ts';
import { startStoreProxy } from '../helpers/store-proxy.ts';
import { waitFor } from '../helpers/wait.ts';

const timing = { REFRESH_INTERVAL: '1s', FETCH_TIMEOUT: '500ms' };

async function body(service: ServiceProcess): Promise<string> {
  return (await request(`${service.url}/`)).body.text();
}

async function metrics(service: ServiceProcess): Promise<string> {
  return (await request(`${service.url}/-/metrics`)).body.text();
}

const warnings = (service: ServiceProcess, cause: RegExp) => service.logs.filter((line: LogLine) => line.level === 'warn' && cause.test(line.msg));

test('stale mode, store stopped: the same bytes go on, ready, stale=1; the store back: a new version swapped in', async () => {
  const { store, env } = await objectInStore('last good version');
  const service = await startService({ env: { ...env, ...timing, STALE_IF_ERROR: '30s' } });
  try {
    await store.stop();
    await service.waitForLog('a warn line naming the outage', (line) => line.level === 'warn' && /ECONNREFUSED/.test(line.msg));
    assert.match(warnings(service, /ECONNREFUSED/)[0]!.msg, /^cannot fetch s3:\/\/.*: ECONNREFUSED.*; check that the store/);
    assert.is(await body(service), 'last good version');
    assert.is((await request(`${service.url}/-/readyz`)).statusCode, 200);
    assert.is(metricValue(await metrics(service), 's3_object_cache_stale'), 1);
    await waitFor('retries with back-off', () => warnings(service, /ECONNREFUSED/).length >= 2, 5_000);
  } finally {
    await store.start();
  }
  await store.fixtures.putObject(env.S3_BUCKET!, 'object.txt', Buffer.from('next version'));
  await waitFor('the new version', async () => (await body(service)) === 'next version', 10_000);
  assert.is(metricValue(await metrics(service), 's3_object_cache_stale'), 0);
  assert.is(service.child.exitCode, null);
  assert.not.ok(service.logs.some((line) => line.level === 'error'));
  await service.kill();
});

test('stale mode, store down past STALE_IF_ERROR: exit 1 within the bound + one back-off step, one error line', async () => {
  const { store, env } = await objectInStore('bounded');
  const service = await startService({ env: { ...env, ...timing, STALE_IF_ERROR: '3s' } });
  await store.stop();
  const stoppedAt = performance.now();
  try {
    const exit = await service.waitForExit(10_000);
    const elapsedMs = performance.now() - stoppedAt;
    assert.is(exit.code, 1, service.stderr());
    // The bound counts from the last success, at most one interval before the stop.
    assert.ok(elapsedMs < 3_000 + 2_000, `exited ${Math.round(elapsedMs)} ms after the outage began`);
    const errors = service.logs.filter((line) => line.level === 'error');
    assert.is(errors.length, 1);
    assert.match(errors[0]!.msg, /^no successful fetch for STALE_IF_ERROR=3000 ms; exiting; last failure: cannot fetch .*ECONNREFUSED/);
  } finally {
    await store.start();
  }
});

test('stale mode, store paused and object deleted: served alike, the warn line names each cause', async () => {
  const { store, env } = await objectInStore('through it all');
  const service = await startService({ env: { ...env, ...timing, STALE_IF_ERROR: '30s' } });
  try {
    await store.pause();
    try {
      await service.waitForLog('a timeout warning', (line) => line.level === 'warn' && /TimeoutError/.test(line.msg), 10_000);
      assert.is(await body(service), 'through it all');
    } finally {
      await store.resume();
    }
    await store.fixtures.removeObject(env.S3_BUCKET!, 'object.txt');
    await service.waitForLog('a NoSuchKey warning', (line) => line.level === 'warn' && /NoSuchKey/.test(line.msg), 10_000);
    assert.is(await body(service), 'through it all');
    assert.is(service.child.exitCode, null);
  } finally {
    await service.kill();
  }
});

/** A service that wrote CACHE_FILE for `content`, stopped; the store's environment and the file. */
async function cacheFileWritten(content: string) {
  const { store, env } = await objectInStore(content);
  const cacheFile = join(temporaryDirectory('cache-file'), 'object.cache');
  const first = await startService({ env: { ...env, CACHE_FILE: cacheFile, STALE_IF_ERROR: '1m' } });
  first.signal('SIGTERM');
  assert.is((await first.waitForExit()).code, 0);
  return { store, env: { ...env, ...timing, CACHE_FILE: cacheFile }, cacheFile };
}

test('CACHE_FILE: a restart while the store is down serves the last good copy (0600), ready, stale', async () => {
  const { store, env, cacheFile } = await cacheFileWritten('survives a restart');
  assert.is(statSync(cacheFile).mode & 0o777, 0o600);
  await store.stop();
  let service: ServiceProcess | undefined;
  try {
    service = await startService({ env: { ...env, STALE_IF_ERROR: '1m' } });
    assert.ok(service.logs.some(byMessage('object loaded from CACHE_FILE')));
    assert.is(await body(service), 'survives a restart');
    assert.is((await request(`${service.url}/-/readyz`)).statusCode, 200);
    assert.is(metricValue(await metrics(service), 's3_object_cache_stale'), 1);
  } finally {
    await store.start();
  }
  await waitFor('the store to confirm the copy', async () => metricValue(await metrics(service), 's3_object_cache_stale') === 0, 10_000);
  await service.kill();
});

test('CACHE_FILE older than STALE_IF_ERROR, corrupted, or of another object: not served; exit 1 with the store down', async () => {
  const { store, env, cacheFile } = await cacheFileWritten('only while fresh');
  const corrupted = `${cacheFile}.corrupted`;
  const bytes = readFileSync(cacheFile);
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
  writeFileSync(corrupted, bytes);
  await store.stop();
  try {
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the copy is now more than 1 s old
    for (const [extra, reason] of [
      [{ STALE_IF_ERROR: '1s' }, /beyond STALE_IF_ERROR/],
      [{ STALE_IF_ERROR: '1m', CACHE_FILE: corrupted }, /truncated or corrupt/],
      [{ STALE_IF_ERROR: '1m', S3_KEY: 'another.txt' }, /holds another object/],
    ] as const) {
      const service = await spawnService({ env: { ...env, ...extra } });
      const exit = await service.waitForExit();
      assert.is(exit.code, 1, service.stderr());
      assert.ok(warnings(service, reason).length === 1, `no warn line matching ${reason}: ${service.stderr()}`);
      assert.not.ok(service.logs.some(byMessage('listening')));
    }
  } finally {
    await store.start();
  }
});

test('CACHE_FILE: kill -9 at random points of repeated writes never leaves a copy that is served torn', async () => {
  const { store, env } = await objectInStore(Buffer.alloc(2 * 1024 * 1024, 0));
  // s3rver overwrites in place: one request at a time through a proxy, or its own tearing shows.
  const proxy = store.replacesAtomically ? undefined : await startStoreProxy(env.S3_ENDPOINT!);
  if (proxy) proxy.mode = 'serialise';
  const endpoint = proxy?.endpoint ?? env.S3_ENDPOINT!;
  const writer = fixturesClient(endpoint, env.AWS_ACCESS_KEY_ID!, env.AWS_SECRET_ACCESS_KEY!);
  const cacheFile = join(temporaryDirectory('kill'), 'object.cache');
  const serviceEnv = { ...env, S3_ENDPOINT: endpoint, CACHE_FILE: cacheFile, STALE_IF_ERROR: '1m', REFRESH_INTERVAL: '100ms' };
  let version = 0;
  for (let round = 0; round < 6; round++) {
    const service = await startService({ env: serviceEnv });
    // New versions while the service fetches and writes them; kill it somewhere in that.
    const killAfterMs = 100 + Math.random() * 400;
    const until = performance.now() + killAfterMs;
    while (performance.now() < until) {
      version++;
      await writer.putObject(env.S3_BUCKET!, 'object.txt', Buffer.alloc(2 * 1024 * 1024, version % 256));
    }
    service.child.kill('SIGKILL');
    await service.waitForExit();
  }
  await store.stop();
  try {
    const service = await startService({ env: serviceEnv });
    const served = Buffer.from(await (await request(`${service.url}/`)).body.arrayBuffer());
    assert.is(served.byteLength, 2 * 1024 * 1024);
    assert.ok(served.every((byte) => byte === served[0]), 'the copy served mixes two versions');
    await service.kill();
  } finally {
    await store.start();
  }
});

test.run();
