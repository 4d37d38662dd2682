// Refresh on demand, against a real store: POST /refresh with REFRESH_TOKEN, and (Ceph leg) the
// store's own bucket notifications pointed at it, which make a new version served within a second.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import { runScript } from '../helpers/scripts.ts';
import { byMessage, startService, type ServiceProcess } from '../helpers/service.ts';
import { objectInStore } from '../helpers/serving.ts';
import { needsCeph, testUnless } from '../helpers/skips.ts';
import { testStore } from '../helpers/store.ts';
import { startStoreProxy } from '../helpers/store-proxy.ts';
import { waitFor } from '../helpers/wait.ts';

const token = 'refresh-token-for-the-tests-0123';

async function post(service: ServiceProcess, query = '', headers: Record<string, string> = { authorization: `Bearer ${token}` }) {
  const response = await request(`${service.url}/-/refresh${query}`, { method: 'POST', headers });
  const text = await response.body.text();
  const json = response.headers['content-type'] === 'application/json' ? (JSON.parse(text) as Record<string, unknown>) : { text };
  return { status: response.statusCode, json };
}

const served = async (service: ServiceProcess) => (await request(`${service.url}/`)).body.text();

test('POST /refresh: a new version is served at once, and the answer says so; 401 and 404 as configured', async () => {
  const { store, env } = await objectInStore('version 1');
  const service = await startService({ env: { ...env, REFRESH_INTERVAL: '1h', REFRESH_TOKEN: token } });
  const without = await startService({ env: { ...env, REFRESH_INTERVAL: '1h' } });
  try {
    assert.equal(await post(service), { status: 200, json: { outcome: 'unchanged', etag: (await request(`${service.url}/`, { method: 'HEAD' })).headers.etag, size: 9 } });
    const { etag } = await store.fixtures.putObject(env.S3_BUCKET!, 'object.txt', Buffer.from('version two'));
    const answer = await post(service);
    assert.equal(answer, { status: 200, json: { outcome: 'changed', etag: `"${etag}"`, size: 11 } });
    assert.is(await served(service), 'version two', 'served at once, not at the next interval');
    assert.is((await post(service, '', { authorization: 'Bearer not-the-token-0123456789' })).status, 401);
    assert.is((await request(`${without.url}/-/refresh`, { method: 'POST' })).statusCode, 404);
  } finally {
    await Promise.all([service.kill(), without.kill()]);
  }
});

test('concurrent POSTs make one fetch; all get its answer', async () => {
  const { env } = await objectInStore('shared');
  const proxy = await startStoreProxy(env.S3_ENDPOINT!);
  const service = await startService({ env: { ...env, S3_ENDPOINT: proxy.endpoint, REFRESH_INTERVAL: '1h', REFRESH_TOKEN: token } });
  proxy.delayMs = 300; // the first fetch stays in flight while the other POSTs arrive
  try {
    const before = proxy.requestsSeen();
    const answers = await Promise.all(Array.from({ length: 10 }, () => post(service)));
    for (const answer of answers) assert.equal([answer.status, answer.json.outcome], [200, 'unchanged']);
    // The first POST starts a fetch; the others arrive while it is in flight and share one after it.
    const fetches = proxy.requestsSeen() - before;
    assert.is(fetches, 2, `${fetches} fetches for 10 POSTs`);
  } finally {
    await service.kill();
  }
});

test('without STALE_IF_ERROR a failed refresh answers 502 with the cause, then the process exits 1', async () => {
  const { store, env } = await objectInStore('about to go');
  const service = await startService({ env: { ...env, REFRESH_INTERVAL: '1h', REFRESH_TOKEN: token } });
  await store.fixtures.removeObject(env.S3_BUCKET!, 'object.txt');
  const answer = await post(service);
  assert.is(answer.status, 502);
  assert.is(answer.json.outcome, 'failed');
  assert.match(String(answer.json.error), /NoSuchKey/);
  assert.is((await service.waitForExit()).code, 1);
});

test('the token appears in no log line, the debug access log included (query and header alike)', async () => {
  const { env } = await objectInStore('quiet');
  const service = await startService({ env: { ...env, REFRESH_TOKEN: token, LOG_LEVEL: 'debug' } });
  try {
    assert.is((await post(service, `?token=${token}&wait=0`, {})).status, 202);
    assert.is((await post(service)).status, 200);
    await service.waitForLog('the access log line', (line) => line.msg === 'request' && String(line.url).startsWith('/-/refresh?'));
    assert.ok(service.logs.some((line) => line.msg === 'request' && line.url === '/-/refresh?token=REDACTED&wait=0'));
    assert.not.ok(service.stderr().includes(token), 'the token was logged');
  } finally {
    await service.kill();
  }
});

const store = await testStore();
const pushTest = testUnless(needsCeph('needs bucket notifications, which only Ceph RGW sends', store.kind));

/** A service refreshed by the store's notifications, with the default 60 s interval. */
async function notifiedService(content: string, extra: Record<string, string> = {}) {
  const { env } = await objectInStore(content);
  const service = await startService({ env: { ...env, REFRESH_TOKEN: token, ...extra } });
  const target = `${service.url}/-/refresh?token=${token}&wait=0`;
  const output = await runScript('ceph-notify.ts', [target], 30_000, env);
  assert.match(output, /now go to http:\/\/127\.0\.0\.1:\d+\/-\/refresh\?token=REDACTED&wait=0/);
  return { service, env };
}

pushTest('push: a new version PUT to the store is served within 1 s of the PUT\'s answer', async () => {
  const { service, env } = await notifiedService('before the push');
  try {
    const putAnswered = await (async () => {
      await store.fixtures.putObject(env.S3_BUCKET!, 'object.txt', Buffer.from('pushed'));
      return performance.now();
    })();
    await waitFor('the pushed version', async () => (await served(service)) === 'pushed', 1_000, 10);
    const delayMs = performance.now() - putAnswered;
    assert.ok(delayMs < 1_000, `served ${Math.round(delayMs)} ms after the PUT's answer`);
    assert.ok(service.logs.some(byMessage('object changed')));
  } finally {
    await service.kill();
  }
});

pushTest('push: a delete is noticed at once: exit 1 by default; served stale with STALE_IF_ERROR', async () => {
  const strict = await notifiedService('deleted soon');
  await store.fixtures.removeObject(strict.env.S3_BUCKET!, 'object.txt');
  const exit = await strict.service.waitForExit(5_000);
  assert.is(exit.code, 1);
  assert.match(strict.service.logs.find((line) => line.level === 'error')?.msg ?? '', /NoSuchKey/);

  const lenient = await notifiedService('deleted, still served', { STALE_IF_ERROR: '1m' });
  try {
    await store.fixtures.removeObject(lenient.env.S3_BUCKET!, 'object.txt');
    await lenient.service.waitForLog('a NoSuchKey warning', (line) => line.level === 'warn' && /NoSuchKey/.test(line.msg), 5_000);
    assert.is(await served(lenient.service), 'deleted, still served');
  } finally {
    await lenient.service.kill();
  }
});

test.run();
