// Start-up order: the port opens only after the first fetch succeeded; a failed first fetch exits
// 1 with one line naming the cause, without ever listening.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import { temporaryDirectory } from '../helpers/cleanup.ts';
import { freePort, isListening } from '../helpers/net.ts';
import { byMessage, spawnService, type ServiceProcess } from '../helpers/service.ts';
import { objectInStore } from '../helpers/serving.ts';
import { freshBucket, testStore } from '../helpers/store.ts';
import { startStoreProxy } from '../helpers/store-proxy.ts';

/** The one error line, and proof that the port never opened and nothing but JSON was written. */
async function assertFailedAtStart(service: ServiceProcess, cause: RegExp): Promise<void> {
  const exit = await service.waitForExit(15_000);
  assert.is(exit.code, 1, `exit code; stderr:\n${service.stderr()}`);
  const errors = service.logs.filter((line) => line.level === 'error');
  assert.is(errors.length, 1, `one error line; stderr:\n${service.stderr()}`);
  assert.match(errors[0]!.msg, cause);
  assert.not.match(errors[0]!.msg, /\n/);
  assert.not.ok(service.logs.some(byMessage('listening')), 'it listened');
  assert.is(service.stderr().split('\n').filter((line) => line !== '' && !line.startsWith('{')).length, 0, 'non-JSON output');
  assert.not.ok(await isListening(service.port));
}

test('the port opens only after the first fetch succeeded', async () => {
  const { store, env } = await objectInStore('first');
  const proxy = await startStoreProxy(store.serviceEnv.S3_ENDPOINT!);
  proxy.mode = 'hold';
  const service = await spawnService({ env: { ...env, S3_ENDPOINT: proxy.endpoint, FETCH_TIMEOUT: '1s' } });
  try {
    const fetch = await proxy.nextHeld(); // the first GET is at the store and unanswered
    assert.is(fetch.method, 'GET');
    assert.not.ok(await isListening(service.port), 'listening before the first fetch succeeded');
    assert.not.ok(service.logs.some(byMessage('listening')));
    // Let the SDK's next attempt through: the first one is held until FETCH_TIMEOUT.
    proxy.mode = 'pass';
    await service.waitForLog('"listening"', byMessage('listening'), 15_000);
    const order = service.logs.map((line) => line.msg);
    assert.ok(order.indexOf('object fetched') < order.indexOf('listening'), order.join(' > '));
    assert.is(await (await request(`${service.url}/`)).body.text(), 'first');
  } finally {
    await service.kill();
  }
});

test('a missing bucket exits 1 naming NoSuchBucket', async () => {
  const store = await testStore();
  const service = await spawnService({ env: { ...store.serviceEnv, S3_BUCKET: 'no-such-bucket-here' } });
  await assertFailedAtStart(service, /s3:\/\/no-such-bucket-here\/object.txt .*NoSuchBucket \(HTTP 404\).*create the bucket/);
});

test('a missing key exits 1 naming NoSuchKey', async () => {
  const store = await testStore();
  const bucket = await freshBucket(store);
  const service = await spawnService({ env: { ...store.serviceEnv, S3_BUCKET: bucket, S3_KEY: 'missing.txt' } });
  await assertFailedAtStart(service, /NoSuchKey \(HTTP 404\).*upload the object "missing.txt" or set S3_KEY/);
});

test('a store that is down exits 1 naming ECONNREFUSED', async () => {
  const store = await testStore();
  const nobody = `http://127.0.0.1:${await freePort()}`;
  const service = await spawnService({ env: { ...store.serviceEnv, S3_ENDPOINT: nobody } });
  await assertFailedAtStart(service, /ECONNREFUSED.*check that the store at http:\/\/127.0.0.1:\d+ is running/);
});

test('an object over MAX_OBJECT_BYTES exits 1 naming the limit', async () => {
  const { env } = await objectInStore(Buffer.alloc(2048));
  const service = await spawnService({ env: { ...env, MAX_OBJECT_BYTES: '1KiB' } });
  await assertFailedAtStart(service, /ObjectTooLarge: object is 2048 bytes, over the limit of 1024 bytes; raise MAX_OBJECT_BYTES/);
});

test('a throw during start-up is an internal fault: exit 70 with one fatal line, not node\'s exit 1', async () => {
  // Injected through node's own --import: the first thing start-up does is start the fetch worker,
  // and right after that an exception is thrown, before the first object has arrived.
  const directory = temporaryDirectory('fault');
  const injector = join(directory, 'throw-after-worker-start.mjs');
  writeFileSync(
    injector,
    [
      "import { createRequire, syncBuiltinESMExports } from 'node:module';",
      "import { isMainThread } from 'node:worker_threads';",
      'const threads = createRequire(import.meta.url)("node:worker_threads");',
      'const Original = threads.Worker;',
      'threads.Worker = class extends Original {',
      '  constructor(...args) { super(...args); setImmediate(() => { throw new Error("injected start-up fault"); }); }',
      '};',
      'if (isMainThread) syncBuiltinESMExports();',
    ].join('\n'),
  );
  const store = await testStore();
  const service = await spawnService({ env: store.serviceEnv, nodeArgs: ['--import', injector] });
  const exit = await service.waitForExit();
  assert.is(exit.code, 70, service.stderr());
  const fatal = service.logs.filter((line) => line.level === 'fatal');
  assert.is(fatal.length, 1, service.stderr());
  assert.is(fatal[0]!.msg, 'internal fault: injected start-up fault');
});

test.run();
