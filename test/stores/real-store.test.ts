// What only a store that checks signatures and permissions can show (TEST_STORE=ceph). Against
// s3rver, which accepts any signature, these tests are reported as skipped.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { scrapeMetric } from '../helpers/metrics.ts';
import { byMessage, spawnService, startService } from '../helpers/service.ts';
import { needsCeph, testUnless } from '../helpers/skips.ts';
import { freshBucket, putObject, testStore } from '../helpers/store.ts';
import { waitFor } from '../helpers/wait.ts';

const store = await testStore();

async function assertStartFails(env: Record<string, string>, cause: RegExp): Promise<void> {
  const service = await spawnService({ env });
  const exit = await service.waitForExit(15_000);
  assert.is(exit.code, 1, service.stderr());
  const error = service.logs.find((line) => line.level === 'error');
  assert.match(error?.msg ?? '', cause);
  assert.not.ok(service.logs.some(byMessage('listening')));
}

const realStoreTest = testUnless(store.checksSignatures ? undefined : needsCeph('needs a store that checks signatures and permissions (s3rver checks none)', store.kind));

realStoreTest('a wrong secret key at start-up exits 1 naming SignatureDoesNotMatch', async () => {
  const bucket = await freshBucket(store);
  await putObject(store, bucket, 'object.txt', 'x');
  await assertStartFails(
    { ...store.serviceEnv, S3_BUCKET: bucket, AWS_SECRET_ACCESS_KEY: 'wrong-secret-key-0123456789' },
    /SignatureDoesNotMatch \(HTTP 403\).*check AWS_SECRET_ACCESS_KEY/,
  );
});

realStoreTest('an unknown access key exits 1 naming InvalidAccessKeyId', async () => {
  await assertStartFails(
    { ...store.serviceEnv, AWS_ACCESS_KEY_ID: 'NOSUCHACCESSKEY00000' },
    /InvalidAccessKeyId \(HTTP 403\).*check AWS_ACCESS_KEY_ID/,
  );
});

realStoreTest("credentials without rights on the bucket exit 1 naming AccessDenied", async () => {
  const bucket = await freshBucket(store);
  await putObject(store, bucket, 'object.txt', 'not yours');
  await assertStartFails(
    {
      ...store.serviceEnv,
      S3_BUCKET: bucket,
      AWS_ACCESS_KEY_ID: store.outsider!.accessKeyId,
      AWS_SECRET_ACCESS_KEY: store.outsider!.secretAccessKey,
    },
    /AccessDenied \(HTTP 403\).*grant s3:GetObject/,
  );
});

realStoreTest('refreshes of an unchanged object are 304s at the gateway: one body transfer in all', async () => {
  const bucket = await freshBucket(store);
  const key = `counted-${Date.now()}.txt`;
  await putObject(store, bucket, key, 'counted');
  const service = await startService({ env: { ...store.serviceEnv, S3_BUCKET: bucket, S3_KEY: key, REFRESH_INTERVAL: '200ms' } });
  try {
    const unchanged = () => scrapeMetric(`${service.url}/-/metrics`, 's3_object_cache_refresh_unchanged_total');
    await waitFor('four unchanged refreshes', async () => ((await unchanged()) ?? 0) >= 4);
    const counts = await store.getCounts!(key);
    assert.is(counts.withBody, 1, 'GETs answered with a body');
    assert.ok(counts.notModified >= 4, `only ${counts.notModified} GETs answered 304`);
  } finally {
    await service.kill();
  }
});

test.run();
