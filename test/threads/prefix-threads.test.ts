// Prefix mode with HTTP_THREADS=2: every thread serves the same snapshot, swapped whole. Each
// object carries its version; versions are written set by set, and a proxy keeps listings and
// writes apart (a listing waits for the set being written; a set waits for the listings in
// flight), so each snapshot is one version. Clients on new connections
// (spread over both threads by the kernel) record when each request started and ended: once any
// answer came from version N+1, no request that started later may be answered from N, in any thread.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import { requestsByThread, scrapeOnNewConnection } from '../helpers/metrics.ts';
import { startService } from '../helpers/service.ts';
import { siteInStore } from '../helpers/site.ts';
import { startStoreProxy } from '../helpers/store-proxy.ts';
import { waitFor } from '../helpers/wait.ts';
import { assertNeverOlderAfterNewer, readContinuously } from '../helpers/version-swaps.ts';

const paths = Array.from({ length: 24 }, (_, index) => `part-${index}.txt`);
const versionOf = (version: number) => Object.fromEntries(paths.map((path) => [path, `${version}:${path}:`.padEnd(2048, '.')]));

test('HTTP_THREADS=2: once an answer came from a new snapshot, no later request in any thread is answered from an older one', async () => {
  const site = await siteInStore(versionOf(1));
  const proxy = await startStoreProxy(site.env.S3_ENDPOINT!);
  let writing: Promise<unknown> | undefined;
  let listings = 0;
  let listingsDone: (() => void) | undefined;
  // A listing waits for the version being written, and is counted until its answer is passed on.
  proxy.beforeForward = async (req) => {
    if (!req.url!.includes('list-type=2')) return;
    while (writing !== undefined) await writing;
    listings++;
    return () => {
      if (--listings === 0) listingsDone?.();
    };
  };
  /** Writes one version of every object once no listing is in flight, and no listing starts meanwhile. */
  const writeVersion = async (version: number) => {
    writing = (async () => {
      while (listings > 0) await new Promise<void>((resolve) => (listingsDone = resolve));
      await Promise.all(Object.entries(versionOf(version)).map(([path, body]) => site.put(path, body)));
    })();
    await writing;
    writing = undefined;
  };
  const service = await startService({ env: { ...site.env, HTTP_THREADS: '2', REFRESH_INTERVAL: '100ms', S3_ENDPOINT: proxy.endpoint } });

  const readers = readContinuously(12, async () => {
    const path = paths[Math.floor(Math.random() * paths.length)]!;
    const response = await request(`${service.url}/${path}`, { reset: true }); // a new connection: either thread
    const [version, servedPath] = (await response.body.text()).split(':');
    assert.is(servedPath, path);
    return Number(version);
  });
  try {
    for (let version = 2; version <= 6; version++) {
      await writeVersion(version);
      // The next version only once this one is served: a write while a refresh's GETs are in
      // flight would make it race and back off, and versions would be skipped, not swapped.
      await waitFor(`version ${version} served`, () => readers.answers.some((answer) => answer.version === version), 15_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await readers.stop();
  }

  const versions = new Set(readers.answers.map(({ version }) => version));
  assert.equal([...versions].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6], 'a version was never served');
  assertNeverOlderAfterNewer(readers.answers);
  const perThread = requestsByThread(await scrapeOnNewConnection(service.url));
  assert.ok(perThread.every((count) => count > 50), `requests per thread: ${perThread.join(', ')}`);
  await service.kill();
});

test.run();
