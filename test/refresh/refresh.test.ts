// The background job: new content within about one interval, unchanged content kept (through
// conditional GETs), and no response ever mixing two versions while they are swapped.
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Agent, request } from 'undici';
import { metricValue, scrapeMetric } from '../helpers/metrics.ts';
import { byMessage, startService } from '../helpers/service.ts';
import { objectInStore } from '../helpers/serving.ts';
import { freshBucket, putObject, testStore } from '../helpers/store.ts';
import { readWhileSwapping, versionOf, versionWriter } from '../helpers/version-swaps.ts';
import { waitFor } from '../helpers/wait.ts';

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
  const writer = await versionWriter(store, store.serviceEnv.S3_ENDPOINT!, bucket, versionSize);
  await putObject(store, bucket, 'object.txt', versionOf(0, versionSize));
  const service = await startService({
    env: { ...store.serviceEnv, S3_ENDPOINT: writer.endpoint, S3_BUCKET: bucket, REFRESH_INTERVAL: '100ms' },
  });
  const agent = new Agent({ connections: 16 });
  try {
    writer.start();
    const { versions, checked } = await readWhileSwapping(`${service.url}/`, versionSize, { dispatcher: agent }, (body, headers) => {
      assert.is(headers['content-length'], String(versionSize));
      assert.is(headers.etag, md5(body), 'the ETag belongs to another version than the body');
    });
    await writer.stop();
    assert.ok(versions.size >= 3, `only ${versions.size} versions were served during the run; the test proves nothing`);
    assert.ok(checked > 100, `only ${checked} responses checked`);
  } finally {
    await writer.stop(); // also when an assertion failed: the writer must not run into later tests
    await agent.close();
    await service.kill();
  }
});

test.run();
