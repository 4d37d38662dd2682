// Prefix mode's refreshes on a real store: what an unchanged prefix costs the store (one LIST, no
// GET; with a marker, one conditional GET), changes, additions and deletions swapped in, the
// marker gate against a slow upload and against the next deploy under way, an object that changes
// between the listing and its GET, the limits, a failing listing (exit 1 after the drain, or served
// stale), SIGTERM under load, a restart from CACHE_FILE, and (on Ceph RGW, which pages as AWS
// does) more than 1000 keys.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Agent, request } from 'undici';
import { temporaryDirectory } from '../helpers/cleanup.ts';
import { runScript } from '../helpers/scripts.ts';
import { metricValue, scrapeMetric } from '../helpers/metrics.ts';
import { byMessage, spawnService, startService, type ServiceProcess } from '../helpers/service.ts';
import { siteInStore } from '../helpers/site.ts';
import { needsCeph, testUnless } from '../helpers/skips.ts';
import { testStore } from '../helpers/store.ts';
import { startStoreProxy } from '../helpers/store-proxy.ts';
import { assertNeverOlderAfterNewer, readContinuously } from '../helpers/version-swaps.ts';
import { waitFor } from '../helpers/wait.ts';

const fast = { REFRESH_INTERVAL: '200ms', FETCH_TIMEOUT: '1s' };

async function text(url: string): Promise<{ status: number; body: string }> {
  const response = await request(url);
  return { status: response.statusCode, body: await response.body.text() };
}

const metric = (service: ServiceProcess, name: string) => scrapeMetric(`${service.url}/-/metrics`, name);

/** Waits until `count` more refreshes have ended (changed, unchanged or failed). */
async function refreshesPass(service: ServiceProcess, count: number): Promise<void> {
  const start = (await metric(service, 's3_object_cache_refresh_attempts_total')) ?? 0;
  await waitFor(`${count} refreshes`, async () => ((await metric(service, 's3_object_cache_refresh_attempts_total')) ?? 0) >= start + count, 10_000);
}

const isListing = (line: string) => /^GET \/[^/?]+\/?\?.*list-type=2/.test(line);
const isObjectGet = (line: string) => /^GET \/[^/?]+\/[^?]+/.test(line) && !isListing(line);

test('an unchanged prefix costs one LIST per refresh and no GET; one changed object costs one GET more', async () => {
  const site = await siteInStore(Object.fromEntries(Array.from({ length: 20 }, (_, index) => [`page-${index}.html`, `page ${index}`])));
  const proxy = await startStoreProxy(site.env.S3_ENDPOINT!);
  const service = await startService({ env: { ...site.env, ...fast, S3_ENDPOINT: proxy.endpoint } });
  await refreshesPass(service, 1);
  const before = proxy.requestLines().length;
  await refreshesPass(service, 5);
  const unchanged = proxy.requestLines().slice(before);
  assert.ok(unchanged.length >= 5 && unchanged.every(isListing), `not LISTs only: ${unchanged.join(', ')}`);
  const listed = proxy.requestLines().length;
  await site.put('page-3.html', 'page 3, changed');
  await waitFor('the change served', async () => (await text(`${service.url}/page-3.html`)).body === 'page 3, changed');
  const gets = proxy.requestLines().slice(listed).filter(isObjectGet);
  // One GET, of the changed object: none of the unchanged ones sent a body byte.
  assert.equal(gets.map((line) => decodeURIComponent(line.split('/').slice(2).join('/').split('?')[0]!)), [`${site.prefix}page-3.html`]);
  assert.is(await metric(service, 's3_object_cache_objects_fetched_total'), 21);
  assert.ok(((await metric(service, 's3_object_cache_listing_pages_total')) ?? 0) >= 7);
});

test('additions appear, changes are swapped in, deletions answer 404 after the refresh', async () => {
  const site = await siteInStore({ 'a.txt': 'a1', 'b.txt': 'b1' });
  const service = await startService({ env: { ...site.env, ...fast } });
  await Promise.all([site.put('a.txt', 'a2'), site.put('c.txt', 'c1'), site.remove('b.txt')]);
  await waitFor('the next snapshot', async () => (await text(`${service.url}/c.txt`)).body === 'c1');
  assert.is((await text(`${service.url}/a.txt`)).body, 'a2');
  assert.is((await text(`${service.url}/b.txt`)).status, 404);
  assert.is(await metric(service, 's3_object_cache_snapshot_objects'), 2);
});

test('SNAPSHOT_MARKER: one conditional GET per refresh; a slow upload is never served until the marker, then all of it, never a mix', async () => {
  const paths = Array.from({ length: 12 }, (_, index) => `asset-${index}.txt`);
  const version = (label: string) => Object.fromEntries(paths.map((path) => [path, `${label}:${path}`]));
  const site = await siteInStore({ ...version('v1'), 'deploy.json': '{"v":1}' });
  const proxy = await startStoreProxy(site.env.S3_ENDPOINT!);
  const service = await startService({ env: { ...site.env, ...fast, S3_ENDPOINT: proxy.endpoint, SNAPSHOT_MARKER: 'deploy.json' } });
  await refreshesPass(service, 1);
  const before = proxy.requestLines().length;
  await refreshesPass(service, 4);
  const quiet = proxy.requestLines().slice(before);
  assert.ok(quiet.length >= 4 && quiet.every((line) => line.startsWith(`GET /${site.bucket}/${site.prefix}deploy.json`)), `not the marker alone: ${quiet.join(', ')}`);

  // Readers all along; the upload takes several refresh intervals, file by file.
  const readers = readContinuously(4, async () => {
    const path = paths[Math.floor(Math.random() * paths.length)]!;
    const [label, servedPath] = (await text(`${service.url}/${path}`)).body.split(':');
    assert.is(servedPath, path, 'an object at the wrong path');
    return Number(label!.slice(1)); // v1 → 1
  });
  const seen = readers.answers;
  try {
    for (const [path, body] of Object.entries(version('v2'))) {
      await site.put(path, body);
      await new Promise((resolve) => setTimeout(resolve, 100)); // a slow deployer
    }
    await refreshesPass(service, 2);
    assert.ok(seen.length > 0 && seen.every((answer) => answer.version === 1), 'part of the upload was served before the marker');
    const markerWrittenAt = performance.now();
    await site.put('deploy.json', '{"v":2}');
    await waitFor('the new set served', () => seen.some((answer) => answer.version === 2), 5_000);
    const firstNew = Math.min(...seen.filter((answer) => answer.version === 2).map(({ endedAt }) => endedAt));
    assert.ok(firstNew - markerWrittenAt < 1_500, `served ${Math.round(firstNew - markerWrittenAt)} ms after the marker: more than an interval + 1 s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  } finally {
    await readers.stop();
  }
  assertNeverOlderAfterNewer(seen);
});

test('SNAPSHOT_MARKER: a listing that shows the next deploy under way (files written after the marker) is not taken; that deploy is, whole, once its marker is written', async () => {
  const token = 'marker-race-token-0123456789';
  const site = await siteInStore({ 'a.txt': 'a1', 'b.txt': 'b1', 'deploy.json': '1' });
  const service = await startService({ env: { ...site.env, SNAPSHOT_MARKER: 'deploy.json', REFRESH_TOKEN: token, REFRESH_INTERVAL: '1h' } });
  const refresh = async () => {
    const answer = await request(`${service.url}/-/refresh`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    return { status: answer.statusCode, body: await answer.body.text() };
  };
  const served = async () => [(await text(`${service.url}/a.txt`)).body, (await text(`${service.url}/b.txt`)).body];
  // Deploy 2 is complete; deploy 3 begins before this replica refreshes: its first file is written
  // (by the store's clock, which stamps the listing) well past the margin after marker 2.
  await Promise.all([site.put('a.txt', 'a2'), site.put('b.txt', 'b2')]);
  await site.put('deploy.json', '2');
  const writtenAt = async (path: string) => (await site.store.fixtures.statObject(site.bucket, site.prefix + path)).lastModified.getTime();
  await waitFor('a.txt written 2 s after marker 2 by the store\'s clock', async () => {
    await site.put('a.txt', 'a3');
    return (await writtenAt('a.txt')) - (await writtenAt('deploy.json')) >= 2_000;
  }, 10_000, 200);

  const refused = await refresh();
  assert.is(refused.status, 502, `the refresh was not refused: ${refused.body}`);
  assert.match(JSON.parse(refused.body).error, /SnapshotChanged: 1 of its objects \(site\/a\.txt first\) were written after the marker site\/deploy\.json: the next deploy is under way/);
  assert.equal(await served(), ['a1', 'b1'], 'a listing of a deploy under way was served');
  assert.ok(service.logs.some((line) => line.level === 'warn' && /written after the marker/.test(line.msg)), 'no warn line says why');

  await site.put('b.txt', 'b3');
  await site.put('deploy.json', '3');
  const taken = await refresh();
  assert.is(taken.status, 200, taken.body);
  assert.equal(await served(), ['a3', 'b3']);
  assert.not.ok(service.logs.some((line) => line.level === 'error'), 'a deploy under way is no failure');
});

test('an object that changes between the listing and its GET: the refresh is retried, the snapshot held served meanwhile, then the latest', async () => {
  const site = await siteInStore({ 'a.txt': 'a1', 'b.txt': 'b1' });
  const proxy = await startStoreProxy(site.env.S3_ENDPOINT!);
  const service = await startService({ env: { ...site.env, ...fast, S3_ENDPOINT: proxy.endpoint } });
  let raced = false;
  // The first GET of a.txt after the listing: the object changes again just before it reaches the store.
  proxy.beforeForward = async (req) => {
    if (!raced && req.method === 'GET' && req.url!.includes(`${site.prefix}a.txt`)) {
      raced = true;
      await site.put('a.txt', 'a3');
    }
    return undefined; // nothing to do once it is answered
  };
  await site.put('a.txt', 'a2');
  const warning = await service.waitForLog('the race', (line) => line.level === 'warn' && /SnapshotChanged/.test(line.msg));
  assert.match(warning.msg, /cannot fetch s3:\/\/\S+\/site\/a\.txt .*SnapshotChanged: it changed between the listing and its GET/);
  assert.ok(['a1', 'a3'].includes((await text(`${service.url}/a.txt`)).body), 'a version that was never whole in a snapshot');
  await waitFor('the latest version served', async () => (await text(`${service.url}/a.txt`)).body === 'a3', 5_000);
  assert.is((await text(`${service.url}/b.txt`)).body, 'b1');
  assert.not.ok(service.logs.some((line) => line.level === 'error'), 'a race is no failure');
});

for (const [name, env, files, limit] of [
  ['MAX_OBJECTS', { MAX_OBJECTS: '2' }, { 'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c' }, /SnapshotTooLarge: the prefix holds more than MAX_OBJECTS=2 objects; raise MAX_OBJECTS/],
  ['MAX_TOTAL_BYTES', { MAX_TOTAL_BYTES: '100' }, { 'a.txt': 'a'.repeat(60), 'b.txt': 'b'.repeat(60) }, /more than MAX_TOTAL_BYTES=100 bytes; raise MAX_TOTAL_BYTES/],
  ['MAX_OBJECT_BYTES', { MAX_OBJECT_BYTES: '50' }, { 'small.txt': 's', 'big.bin': 'b'.repeat(60) }, /cannot fetch s3:\/\/\S+\/site\/big\.bin .*ObjectTooLarge: object is 60 bytes, over the limit of 50 bytes/],
  ['an empty prefix', {}, {}, /cannot list s3:\/\/\S+\/site\/ .*EmptyPrefix/],
] as const) {
  test(`${name}: the refresh fails with one line naming it; at start-up, exit 1`, async () => {
    const site = await siteInStore(files);
    const service = await spawnService({ env: { ...site.env, ...env } });
    assert.is((await service.waitForExit()).code, 1, service.stderr());
    const errors = service.logs.filter((line) => line.level === 'error');
    assert.is(errors.length, 1, service.stderr());
    assert.match(errors[0]!.msg, limit);
  });
}

test('a failing listing: exit 1 after the drain by default; served stale with STALE_IF_ERROR, fresh once the store is back', async () => {
  const site = await siteInStore({ 'index.html': 'home v1' });
  const strict = await startService({ env: { ...site.env, ...fast } });
  const stale = await startService({ env: { ...site.env, ...fast, STALE_IF_ERROR: '1m' } });
  await site.store.stop();
  try {
    assert.is((await strict.waitForExit(5_000)).code, 1);
    assert.match(strict.logs.find((line) => line.level === 'error')!.msg, /cannot list s3:\/\/\S+\/site\/ .*ECONNREFUSED/);
    await stale.waitForLog('a stale warning', (line) => line.level === 'warn' && /ECONNREFUSED/.test(line.msg));
    assert.is((await text(`${stale.url}/`)).body, 'home v1');
    assert.is(await metric(stale, 's3_object_cache_stale'), 1);
  } finally {
    await site.store.start();
  }
  await site.put('index.html', 'home v2');
  await waitFor('the store back and the new version', async () => (await text(`${stale.url}/`)).body === 'home v2', 10_000);
  assert.is(await metric(stale, 's3_object_cache_stale'), 0);
});

test('SIGTERM under load: every response complete, exit 0 within 5 s', async () => {
  const files = Object.fromEntries(Array.from({ length: 10 }, (_, index) => [`file-${index}.bin`, Buffer.alloc(64 * 1024, index)]));
  const site = await siteInStore(files);
  const service = await startService({ env: site.env });
  const agent = new Agent({ connections: 16 });
  let completed = 0;
  let signalled = false;
  try {
    const clients = Array.from({ length: 16 }, async (_, client) => {
      for (let index = client; ; index++) {
        let response;
        try {
          response = await request(`${service.url}/file-${index % 10}.bin`, { dispatcher: agent });
        } catch (error) {
          if (!signalled) throw error;
          return; // refused or closed after the signal: expected
        }
        const body = Buffer.from(await response.body.arrayBuffer());
        assert.ok(body.equals(files[`file-${index % 10}.bin`]!), `a response was cut short: ${body.byteLength} bytes`);
        completed++;
      }
    });
    await waitFor('some load', () => completed >= 200);
    signalled = true;
    service.signal('SIGTERM');
    await Promise.all(clients);
    const exit = await service.waitForExit();
    assert.is(exit.code, 0, service.stderr());
    assert.ok(exit.elapsedMs < 5_000, `took ${Math.round(exit.elapsedMs)} ms`);
  } finally {
    await agent.destroy();
  }
});

test('CACHE_FILE: a restart while the store is down serves the whole snapshot from the file', async () => {
  const files = { 'index.html': 'home', 'docs/index.html': 'docs', 'data.bin': Buffer.alloc(100_000, 7) };
  const site = await siteInStore(files);
  const cacheFile = `${temporaryDirectory('snapshot-cache')}/snapshot`;
  const env = { ...site.env, ...fast, STALE_IF_ERROR: '1m', CACHE_FILE: cacheFile };
  const first = await startService({ env });
  await refreshesPass(first, 1);
  first.signal('SIGTERM');
  assert.is((await first.waitForExit()).code, 0);
  await site.store.stop();
  try {
    const restarted = await startService({ env });
    const loaded = await restarted.waitForLog('the snapshot from the file', byMessage('snapshot loaded from CACHE_FILE'));
    assert.is(loaded.objects, 3);
    assert.is((await text(`${restarted.url}/`)).body, 'home');
    assert.is((await text(`${restarted.url}/docs/`)).body, 'docs');
    const data = await request(`${restarted.url}/data.bin`);
    assert.ok(Buffer.from(await data.body.arrayBuffer()).equals(files['data.bin']));
    assert.is(metricValue(await (await request(`${restarted.url}/-/metrics`)).body.text(), 's3_object_cache_stale'), 1);
  } finally {
    await site.store.start();
  }
});

const store = await testStore();
testUnless(needsCeph('needs bucket notifications, which only Ceph RGW sends', store.kind))(
  'push on the marker (Ceph RGW): the new set is served within 1 s of the marker\'s PUT, the old one until then',
  async () => {
    const token = 'prefix-push-token-0123456789';
    const site = await siteInStore({ 'a.txt': 'a1', 'b.txt': 'b1', 'deploy.json': '1' });
    const env = { ...site.env, SNAPSHOT_MARKER: 'deploy.json', REFRESH_TOKEN: token }; // the default 60 s interval
    const service = await startService({ env });
    const output = await runScript('ceph-notify.ts', [`${service.url}/-/refresh?token=${token}&wait=0`], 30_000, env);
    assert.match(output, /notifications of s3:\/\/\S+\/site\/deploy\.json now go to/);
    await Promise.all([site.put('a.txt', 'a2'), site.put('b.txt', 'b2')]);
    await new Promise((resolve) => setTimeout(resolve, 500)); // pushes of the files themselves would show now
    assert.equal([(await text(`${service.url}/a.txt`)).body, (await text(`${service.url}/b.txt`)).body], ['a1', 'b1']);
    await site.put('deploy.json', '2');
    const putAnswered = performance.now();
    await waitFor('the new set', async () => (await text(`${service.url}/a.txt`)).body === 'a2', 1_000, 10);
    assert.ok(performance.now() - putAnswered < 1_000);
    assert.is((await text(`${service.url}/b.txt`)).body, 'b2');
  },
);

testUnless(needsCeph('needs a store that pages listings past 1000 keys (s3rver fails the second page)', store.kind))(
  'more than 1000 keys: every page listed, every object served',
  async () => {
    const files = Object.fromEntries(Array.from({ length: 1050 }, (_, index) => [`k/${String(index).padStart(4, '0')}.txt`, `object ${index}`]));
    const site = await siteInStore(files, 'big/', 32);
    const service = await startService({ env: site.env }, 60_000);
    assert.is(service.logs.find(byMessage('snapshot fetched'))?.listPages, 2);
    assert.is(await metric(service, 's3_object_cache_snapshot_objects'), 1050);
    const agent = new Agent({ connections: 8 });
    try {
      await Promise.all(
        Object.entries(files).map(async ([path, body]) => {
          const response = await request(`${service.url}/${path}`, { dispatcher: agent });
          assert.is(await response.body.text(), body, path);
        }),
      );
    } finally {
      await agent.destroy();
    }
  },
);

test.run();
