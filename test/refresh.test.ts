// The background job: new content within about one interval, unchanged content kept (through
// conditional GETs), and no response ever mixing two versions while they are swapped.
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Agent, request } from 'undici';
import { metricValue, scrapeMetric } from './helpers/metrics.ts';
import { byMessage, startService } from './helpers/service.ts';
import { fixturesClient } from '../scripts/fixtures-client.ts';
import { objectInStore } from './helpers/serving.ts';
import { freshBucket, putObject, testStore } from './helpers/store.ts';
import { startStoreProxy } from './helpers/store-proxy.ts';
import { waitFor } from './helpers/wait.ts';

test('a new version is served within about one interval', async () => {
  const { store, bucket, env } = await objectInStore('version 1');
  const service = await startService({ env: { ...env, REFRESH_INTERVAL: '1s' } });
  try {
    const etag2 = await putObject(store, bucket, 'object.txt', 'version 2');
    const uploadedAt = performance.now();
    await waitFor('version 2 to be served', async () => (await (await request(`${service.url}/`)).body.text()) === 'version 2', 3_000);
    const servedAfterMs = performance.now() - uploadedAt;
    assert.ok(servedAfterMs < 2_000, `served ${Math.round(servedAfterMs)} ms after the upload; the interval is 1 s`);
    const changed = await service.waitForLog('"object changed"', byMessage('object changed'));
    assert.is(changed.etag, etag2);
    assert.is(changed.size, 9);
    assert.type(changed.previousEtag, 'string');
  } finally {
    await service.kill();
  }
});

test('an unchanged object keeps being served, confirmed by conditional GETs', async () => {
  const { etag, env } = await objectInStore('stable');
  const service = await startService({ env: { ...env, REFRESH_INTERVAL: '300ms' } });
  try {
    const unchanged = () => scrapeMetric(`${service.url}/-/metrics`, 's3_object_cache_refresh_unchanged_total');
    await waitFor('three unchanged refreshes', async () => ((await unchanged()) ?? 0) >= 3, 5_000);
    const response = await request(`${service.url}/`);
    assert.is(await response.body.text(), 'stable');
    assert.is(response.headers.etag, etag);
    assert.is(service.logs.filter(byMessage('object changed')).length, 0);
    const metrics = await (await request(`${service.url}/-/metrics`)).body.text();
    assert.is(metricValue(metrics, 's3_object_cache_refresh_successes_total'), (metricValue(metrics, 's3_object_cache_refresh_unchanged_total') ?? 0) + 1);
    assert.is(metricValue(metrics, 's3_object_cache_refresh_failures_total'), 0);
  } finally {
    await service.kill();
  }
});

const versionSize = 256 * 1024;
const md5 = (bytes: Buffer) => `"${createHash('md5').update(bytes).digest('hex')}"`;

test('concurrent requests during swaps never see a mix of two versions', async () => {
  const store = await testStore();
  const bucket = await freshBucket(store);
  // s3rver overwrites in place, so the store itself would serve torn objects: give it one
  // request at a time. A real store replaces objects atomically and needs no help.
  const proxy = store.replacesAtomically ? undefined : await startStoreProxy(store.serviceEnv.S3_ENDPOINT!);
  if (proxy) proxy.mode = 'serialise';
  const endpoint = proxy?.endpoint ?? store.serviceEnv.S3_ENDPOINT!;
  const writer = fixturesClient(endpoint, store.serviceEnv.AWS_ACCESS_KEY_ID!, store.serviceEnv.AWS_SECRET_ACCESS_KEY!);
  const versionOf = (n: number) => Buffer.alloc(versionSize, n % 256);
  await writer.putObject(bucket, 'object.txt', versionOf(0), versionSize);
  const service = await startService({
    env: { ...store.serviceEnv, S3_ENDPOINT: endpoint, S3_BUCKET: bucket, REFRESH_INTERVAL: '100ms' },
  });
  const agent = new Agent({ connections: 16 });
  let writing = true;
  let writes: Promise<void> | undefined;
  try {
    writes = (async () => {
      for (let n = 1; writing; n++) await writer.putObject(bucket, 'object.txt', versionOf(n), versionSize);
    })();
    const seen = new Set<number>();
    let checked = 0;
    const until = performance.now() + 3_000;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (performance.now() < until) {
          const response = await request(`${service.url}/`, { dispatcher: agent });
          const body = Buffer.from(await response.body.arrayBuffer());
          assert.is(body.byteLength, versionSize);
          assert.is(response.headers['content-length'], String(versionSize));
          assert.ok(body.every((byte) => byte === body[0]), 'a body mixes two versions');
          assert.is(response.headers.etag, md5(body), 'the ETag belongs to another version than the body');
          seen.add(body[0]!);
          checked++;
        }
      }),
    );
    writing = false;
    await writes;
    assert.ok(seen.size >= 3, `only ${seen.size} versions were served during the run; the test proves nothing`);
    assert.ok(checked > 100, `only ${checked} responses checked`);
  } finally {
    writing = false; // also when an assertion failed: the writer must not run into later tests
    await writes?.catch(() => undefined);
    await agent.close();
    await service.kill();
  }
});

test.run();
