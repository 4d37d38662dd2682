// Nothing a store sends may crash the service or wedge its start: answers changed on their way
// by a proxy between the service and a real store.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import { byMessage, spawnService, startService } from '../helpers/service.ts';
import { objectInStore } from '../helpers/serving.ts';
import { startStoreProxy } from '../helpers/store-proxy.ts';

async function proxiedStore() {
  const { store, env } = await objectInStore('exact bytes', 'text/plain');
  const proxy = await startStoreProxy(store.serviceEnv.S3_ENDPOINT!);
  return { proxy, env: { ...env, S3_ENDPOINT: proxy.endpoint } };
}

test('a Last-Modified that is not a date is dropped with one warn line; the object is served', async () => {
  const { proxy, env } = await proxiedStore();
  proxy.rewrite = (answer) => {
    if (answer.headers['last-modified'] !== undefined) answer.headers['last-modified'] = 'the day before yesterday';
  };
  const service = await startService({ env });
  try {
    const response = await request(`${service.url}/`);
    assert.is(await response.body.text(), 'exact bytes');
    assert.is(response.headers['last-modified'], undefined);
    assert.is(response.headers['content-type'], 'text/plain');
    const warnings = service.logs.filter((line) => line.level === 'warn');
    assert.is(warnings.length, 1, service.stderr());
    assert.match(warnings[0]!.msg, /Last-Modified that is not a date \("the day before yesterday"\)/);
  } finally {
    await service.kill();
  }
});

test('a 304 to the first fetch (no If-None-Match) is a clear failure: exit 1, not a wait forever', async () => {
  const { proxy, env } = await proxiedStore();
  proxy.rewrite = (answer, req) => {
    if (req.method === 'GET') answer.status = 304;
  };
  const service = await spawnService({ env });
  const exit = await service.waitForExit(10_000);
  assert.is(exit.code, 1, service.stderr());
  const error = service.logs.find((line) => line.level === 'error');
  assert.match(error?.msg ?? '', /UnexpectedNotModified: the store answered 304 Not Modified to a GET that had no If-None-Match/);
  assert.not.ok(service.logs.some(byMessage('listening')));
});

test.run();
