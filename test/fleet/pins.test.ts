// One replica's side of consistent deploys: every answer names its snapshot (Snapshot-Id, derived
// from the keys and ETags, so replicas agree without talking), and with SKEW_PROTECTION a browser's
// assets come from the snapshot its page came from: retained while the replica holds it, fetched at
// once when it does not, and pins cannot be turned against the store.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import { get } from '../helpers/http.ts';
import { metricValue, scrapeOnNewConnection } from '../helpers/metrics.ts';
import { byMessage, startService } from '../helpers/service.ts';
import { objectInStore } from '../helpers/serving.ts';
import { siteInStore } from '../helpers/site.ts';
import { startStoreProxy } from '../helpers/store-proxy.ts';
import { waitFor } from '../helpers/wait.ts';

const navigate = { 'sec-fetch-mode': 'navigate', accept: 'text/html,*/*;q=0.8' };
const asset = { 'sec-fetch-mode': 'no-cors', accept: '*/*' };
const html = (text: string) => ({ body: `<!doctype html><p>${text}</p>`, contentType: 'text/html' });
const cookieOf = (setCookie: string | string[] | undefined) => /snapshot_id=([0-9a-f]{16})/.exec(String(setCookie))?.[1];

test('every answer names its snapshot; two replicas of one store name it the same; the change line and a metric too', async () => {
  const { env } = await objectInStore('one');
  const [a, b] = [await startService({ env }), await startService({ env })];
  const ok = await get(`${a.url}/`);
  assert.match(String(ok.headers['snapshot-id']), /^[0-9a-f]{16}$/);
  assert.is((await get(`${b.url}/`)).headers['snapshot-id'], ok.headers['snapshot-id']);
  assert.is((await get(`${a.url}/`, { 'if-none-match': String(ok.headers.etag) })).headers['snapshot-id'], ok.headers['snapshot-id']);
  assert.is((await get(`${a.url}/elsewhere`)).headers['snapshot-id'], ok.headers['snapshot-id']);
  assert.is(a.logs.find(byMessage('object fetched'))?.snapshotId, ok.headers['snapshot-id']);
  assert.match(await scrapeOnNewConnection(a.url), new RegExp(`s3_object_cache_snapshot_info\\{snapshot_id="${ok.headers['snapshot-id']}"\\} 1`));
  await Promise.all([a.kill(), b.kill()]);
});

test('SKEW_PROTECTION: a page sets the cookie; its assets come from its snapshot after a deploy, whole, privately; a navigation moves on', async () => {
  const site = await siteInStore({ 'index.html': html('v1'), 'app.js': 'js v1', 'deploy.json': '1' });
  const service = await startService({ env: { ...site.env, SKEW_PROTECTION: '1h', SNAPSHOT_MARKER: 'deploy.json', REFRESH_INTERVAL: '200ms' } });
  const page = await get(`${service.url}/`, navigate);
  const v1 = cookieOf(page.headers['set-cookie'])!;
  assert.is(v1, page.headers['snapshot-id']);
  assert.match(String(page.headers['set-cookie']), /^snapshot_id=[0-9a-f]{16}; Path=\/; Max-Age=3600; HttpOnly; SameSite=Lax$/);
  assert.match(String((await get(`${service.url}/`, { ...navigate, 'x-forwarded-proto': 'https' })).headers['set-cookie']), /; Secure$/);
  assert.is((await get(`${service.url}/app.js`, asset)).headers['set-cookie'], undefined, 'a script set the cookie');
  const oldAsset = await get(`${service.url}/app.js`, asset);

  await site.put('app.js', 'js v2');
  await site.put('new.js', 'only in v2');
  await site.put('index.html', html('v2'));
  await site.put('deploy.json', '2');
  await waitFor('v2 served', async () => (await get(`${service.url}/app.js`, asset)).text === 'js v2');

  const pinned = { ...asset, cookie: `other=1; snapshot_id=${v1}` };
  const fromV1 = await get(`${service.url}/app.js`, pinned);
  assert.equal([fromV1.text, fromV1.headers['snapshot-id'], fromV1.headers.etag], ['js v1', v1, oldAsset.headers.etag]);
  assert.match(String(fromV1.headers['cache-control']), /^private/);
  assert.is((await get(`${service.url}/app.js`, { ...pinned, 'if-none-match': String(oldAsset.headers.etag) })).status, 304);
  assert.is((await get(`${service.url}/app.js`, { ...pinned, range: 'bytes=3-4' })).text, 'v1');
  assert.is((await get(`${service.url}/new.js`, pinned)).status, 404, 'v1 had no new.js');
  assert.is((await get(`${service.url}/app.js`, { 'snapshot-id': v1 })).text, 'js v1', 'the header pins as the cookie does');
  const moved = await get(`${service.url}/`, { ...navigate, cookie: `snapshot_id=${v1}` });
  assert.match(moved.text, /v2/);
  assert.ok(cookieOf(moved.headers['set-cookie']) !== v1, 'the navigation kept the old cookie');
  assert.is(metricValue(await scrapeOnNewConnection(service.url), 's3_object_cache_pinned_requests_total{outcome="held"}')! >= 5, true);
  assert.is(metricValue(await scrapeOnNewConnection(service.url), 's3_object_cache_retained_snapshots'), 1);
  await service.kill();
});

test('a pin this replica does not hold makes it refresh at once and answer from it', async () => {
  const site = await siteInStore({ 'app.js': 'js v1' });
  const lagging = await startService({ env: { ...site.env, SKEW_PROTECTION: '1h', REFRESH_INTERVAL: '1h' } });
  await site.put('app.js', 'js v2');
  const current = await startService({ env: site.env });
  const v2 = String((await get(`${current.url}/app.js`)).headers['snapshot-id']);
  const caughtUp = await get(`${lagging.url}/app.js`, { ...asset, cookie: `snapshot_id=${v2}` });
  assert.equal([caughtUp.text, caughtUp.headers['snapshot-id']], ['js v2', v2]);
  assert.is(metricValue(await scrapeOnNewConnection(lagging.url), 's3_object_cache_pinned_requests_total{outcome="caught_up"}'), 1);
  await Promise.all([lagging.kill(), current.kill()]);
});

test('thousands of random and malformed pins: the store sees a bounded number of requests, the service serves on, nothing logged per request', async () => {
  const site = await siteInStore({ 'app.js': 'js' });
  const proxy = await startStoreProxy(site.env.S3_ENDPOINT!);
  const service = await startService({ env: { ...site.env, S3_ENDPOINT: proxy.endpoint, SKEW_PROTECTION: '1h', REFRESH_INTERVAL: '1h' } });
  const seenBefore = proxy.requestsSeen();
  const linesBefore = service.logs.length;
  const startedAt = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < 3_000) {
        const n = next++;
        const pin = n % 3 === 0 ? `bad id ${n}` : n % 3 === 1 ? n.toString(16).padStart(16, 'a') : `${'f'.repeat(15)}${n % 10}`;
        const response = await request(`${service.url}/app.js`, { headers: { ...asset, cookie: `snapshot_id=${pin}` } });
        assert.is(await response.body.text(), 'js');
      }
    }),
  );
  const seconds = (performance.now() - startedAt) / 1000;
  const storeRequests = proxy.requestsSeen() - seenBefore;
  assert.ok(storeRequests <= 2 * (Math.ceil(seconds) + 1), `${storeRequests} store requests in ${seconds.toFixed(1)} s`);
  assert.ok(service.logs.length - linesBefore <= 2 * (Math.ceil(seconds) + 1), `${service.logs.length - linesBefore} log lines`);
  await service.kill();
});

test('one-object mode: pins are accepted and harmless', async () => {
  const { env } = await objectInStore('one');
  const service = await startService({ env: { ...env, SKEW_PROTECTION: '10m' } });
  for (const pin of ['0123456789abcdef', 'nonsense', '']) {
    const answer = await get(`${service.url}/`, { 'snapshot-id': pin });
    assert.equal([answer.status, answer.text], [200, 'one'], pin);
  }
  await service.kill();
});

test.run();
