// HTTP_THREADS=2, in both modes: a new version every 150 ms while clients on new connections (spread
// over both threads by the kernel) record when each request started and ended. Once any answer
// came from version N+1, no request that started later may be answered from N, in any thread.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import { requestsByThread, scrapeOnNewConnection } from '../helpers/metrics.ts';
import { startService } from '../helpers/service.ts';
import { objectInStore } from '../helpers/serving.ts';
import { siteInStore } from '../helpers/site.ts';
import type { TestStore } from '../helpers/store.ts';
import { assertNeverOlderAfterNewer, readContinuously, untornStore } from '../helpers/version-swaps.ts';

const body = (version: number) => `${version}:`.padEnd(4096, '.');

/**
 * Puts `key` anew every 150 ms for 3 s while 12 readers GET `url` on new connections, then checks
 * the order of what they were served. s3rver overwrites in place (a GET during a PUT would be
 * torn), so its requests go one at a time through a proxy, which the service reads through too.
 */
async function versionsEvery150Ms(store: TestStore, endpoint: string, bucket: string, key: string, serve: (endpoint: string) => Promise<{ url: string; kill(): Promise<void> }>) {
  const { endpoint: through, writer } = await untornStore(store, endpoint);
  const service = await serve(through);
  const readers = readContinuously(12, async () => {
    const response = await request(service.url, { reset: true }); // a new connection: either thread
    return Number((await response.body.text()).split(':')[0]);
  });
  let written = 1;
  try {
    for (const until = performance.now() + 3_000; performance.now() < until; ) {
      const next = new Promise((resolve) => setTimeout(resolve, 150));
      await writer.putObject(bucket, key, Buffer.from(body(++written)));
      await next;
    }
  } finally {
    await readers.stop();
  }
  const served = new Set(readers.answers.map(({ version }) => version));
  assert.ok(served.size >= 5, `only ${served.size} of ${written} versions served: no swaps to speak of`);
  assertNeverOlderAfterNewer(readers.answers);
  const perThread = requestsByThread(await scrapeOnNewConnection(new URL(service.url).origin));
  assert.ok(perThread.every((count) => count > 20), `requests per thread: ${perThread.join(', ')}`);
  await service.kill();
}

test('one-object mode: never an older version after a newer one, whichever thread answers', async () => {
  const { store, env, bucket } = await objectInStore(body(1));
  await versionsEvery150Ms(store, env.S3_ENDPOINT!, bucket, 'object.txt', async (endpoint) => {
    const service = await startService({ env: { ...env, S3_ENDPOINT: endpoint, HTTP_THREADS: '2', REFRESH_INTERVAL: '100ms' } });
    return { url: `${service.url}/`, kill: () => service.kill() };
  });
});

test('prefix mode: never an older version after a newer one, whichever thread answers', async () => {
  const others = Object.fromEntries(Array.from({ length: 23 }, (_, index) => [`part-${index}.txt`, `part ${index}`]));
  const site = await siteInStore({ ...others, 'current.txt': body(1) });
  await versionsEvery150Ms(site.store, site.env.S3_ENDPOINT!, site.bucket, `${site.prefix}current.txt`, async (endpoint) => {
    const service = await startService({ env: { ...site.env, S3_ENDPOINT: endpoint, HTTP_THREADS: '2', REFRESH_INTERVAL: '100ms' } });
    return { url: `${service.url}/current.txt`, kill: () => service.kill() };
  });
});

test.run();
