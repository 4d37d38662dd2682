// A failing background refresh ends the process with exit code 1 and one line naming the cause,
// so that the supervisor restarts it. Bounds: REFRESH_INTERVAL=1s, FETCH_TIMEOUT=1s.
import { test } from 'uvu';
import { request } from 'undici';
import * as assert from 'uvu/assert';
import { startService, type ServiceProcess } from '../helpers/service.ts';
import { objectInStore, serviceWithObject } from '../helpers/serving.ts';
import { testStore } from '../helpers/store.ts';

const timing = { REFRESH_INTERVAL: '1s', FETCH_TIMEOUT: '1s' };

function nonJsonLines(output: string): string[] {
  return output.split('\n').filter((line) => {
    if (line === '') return false;
    try {
      JSON.parse(line);
      return false;
    } catch {
      return true;
    }
  });
}

async function assertExitsWithin(service: ServiceProcess, boundMs: number, cause: RegExp): Promise<number> {
  const startedAt = performance.now();
  const exit = await service.waitForExit(boundMs + 5_000);
  const elapsedMs = performance.now() - startedAt;
  assert.is(exit.code, 1, service.stderr());
  assert.ok(elapsedMs < boundMs, `exited after ${Math.round(elapsedMs)} ms; bound ${boundMs} ms`);
  const errors = service.logs.filter((line) => line.level === 'error' || line.level === 'fatal');
  assert.is(errors.length, 1, `not exactly one error line; stderr:\n${service.stderr()}`);
  assert.match(errors[0]!.msg, cause);
  assert.equal(nonJsonLines(service.stderr()), [], 'stderr holds lines that are not JSON log lines');
  return elapsedMs;
}

test('store stopped while serving: exit 1 within interval + retries (bound 3 s); restarted, data intact', async () => {
  const { store, etag, env: storeEnv } = await objectInStore('kept through the outage');
  const env = { ...storeEnv, ...timing };
  const service = await startService({ env });
  await store.stop();
  try {
    await assertExitsWithin(service, 3_000, /ECONNREFUSED/);
  } finally {
    await store.start();
  }
  const again = await startService({ env });
  try {
    const response = await request(`${again.url}/`);
    assert.is(await response.body.text(), 'kept through the outage');
    assert.is(response.headers.etag, etag);
  } finally {
    await again.kill();
  }
});

test('object deleted while serving: exit 1 naming NoSuchKey (bound 3 s)', async () => {
  const { store, bucket, env } = await objectInStore('soon gone');
  const service = await startService({ env: { ...env, ...timing } });
  await store.fixtures.removeObject(bucket, 'object.txt');
  await assertExitsWithin(service, 3_000, /NoSuchKey \(HTTP 404\)/);
});

test('store paused (SIGSTOP) while serving: exit 1 within interval + 3 × FETCH_TIMEOUT + backoff (bound 7 s)', async () => {
  const store = await testStore();
  const service = await serviceWithObject('serving', timing);
  await store.pause();
  try {
    await assertExitsWithin(service, 7_000, /TimeoutError.*FETCH_TIMEOUT=1s/);
  } finally {
    await store.resume();
  }
});

test.run();
