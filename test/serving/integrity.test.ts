// Never serve bytes the store did not hold: a proxy between the service and a real store flips
// one byte of the body, at start-up and at a refresh; a store checksum is verified when sent; a
// multipart object (ETag "...-N", no MD5 to check) is still served.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import { fixturesClient } from '../../scripts/fixtures-client.ts';
import { byMessage, spawnService, startService } from '../helpers/service.ts';
import { objectInStore } from '../helpers/serving.ts';
import { needsCeph, testUnless } from '../helpers/skips.ts';
import { freshBucket, testStore } from '../helpers/store.ts';
import { startStoreProxy } from '../helpers/store-proxy.ts';

const flipFirstByte = (body: Buffer) => {
  const corrupted = Buffer.from(body);
  corrupted[0] = corrupted[0]! ^ 0xff;
  return corrupted;
};

async function proxiedObject(body: string) {
  const { env } = await objectInStore(body, 'text/plain');
  const proxy = await startStoreProxy(env.S3_ENDPOINT!);
  return { proxy, env: { ...env, S3_ENDPOINT: proxy.endpoint } as Record<string, string> };
}

test('a byte flipped on the way at start-up: exit 1, "object corrupted in transit", never listened', async () => {
  const { proxy, env } = await proxiedObject('the bytes the store holds');
  proxy.rewriteBody = flipFirstByte;
  const service = await spawnService({ env });
  const exit = await service.waitForExit();
  assert.is(exit.code, 1, service.stderr());
  const errors = service.logs.filter((line) => line.level === 'error');
  assert.is(errors.length, 1);
  assert.match(errors[0]!.msg, /ObjectCorrupted: object corrupted in transit: the body's MD5 is [0-9a-f]{32}, the ETag says [0-9a-f]{32}; the bytes were not served/);
  assert.not.ok(service.logs.some(byMessage('listening')));
});

test('a byte flipped at a refresh: exit 1, and the corrupted version is never served', async () => {
  const { proxy, env } = await proxiedObject('version 1');
  const service = await startService({ env: { ...env, REFRESH_INTERVAL: '300ms' } });
  const store = await testStore();
  proxy.rewriteBody = flipFirstByte;
  await store.fixtures.putObject(env.S3_BUCKET!, 'object.txt', Buffer.from('version 2'));
  const served = new Set<string>();
  while (service.child.exitCode === null) {
    const body = await request(`${service.url}/`).then((response) => response.body.text(), () => undefined);
    if (body !== undefined) served.add(body);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const exit = await service.waitForExit();
  assert.is(exit.code, 1, service.stderr());
  assert.equal([...served], ['version 1'], 'only the intact version was served');
  assert.match(service.logs.find((line) => line.level === 'error')?.msg ?? '', /object corrupted in transit/);
});

test("a store's full-object checksum is verified (SHA-256 here) and named in the log", async () => {
  const { proxy, env } = await proxiedObject('checked by checksum');
  const checksum = (body: Buffer) => createHash('sha256').update(body).digest('base64');
  proxy.rewriteBody = (body, answer) => {
    answer.headers['x-amz-checksum-sha256'] = checksum(body);
    return body;
  };
  const intact = await startService({ env });
  try {
    assert.is(intact.logs.find(byMessage('object fetched'))?.integrity, 'checksum SHA256');
    assert.is(await (await request(`${intact.url}/`)).body.text(), 'checked by checksum');
  } finally {
    await intact.kill();
  }
  proxy.rewriteBody = (body, answer) => {
    answer.headers['x-amz-checksum-sha256'] = checksum(body);
    return flipFirstByte(body);
  };
  const corrupted = await spawnService({ env });
  assert.is((await corrupted.waitForExit()).code, 1, corrupted.stderr());
  assert.match(corrupted.logs.find((line) => line.level === 'error')?.msg ?? '', /object corrupted in transit: Checksum mismatch/);
});

test('INTEGRITY_CHECK=off serves what arrives, and says so', async () => {
  const { proxy, env } = await proxiedObject('unchecked');
  proxy.rewriteBody = flipFirstByte;
  const service = await startService({ env: { ...env, INTEGRITY_CHECK: 'off' } });
  try {
    assert.is(service.logs.find(byMessage('object fetched'))?.integrity, 'off');
    assert.ok((await (await request(`${service.url}/`)).body.arrayBuffer()).byteLength > 0);
  } finally {
    await service.kill();
  }
});

const store = await testStore();
const multipartTest = testUnless(needsCeph("needs multipart uploads, which s3rver answers NotImplemented", store.kind));

multipartTest('a multipart-uploaded object (ETag "...-N"): no MD5 check applies, it is served intact', async () => {
  const bucket = await freshBucket(store);
  const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, S3_ENDPOINT } = store.serviceEnv;
  const uploader = fixturesClient(S3_ENDPOINT!, AWS_ACCESS_KEY_ID!, AWS_SECRET_ACCESS_KEY!);
  uploader.partSize = 5 * 1024 * 1024;
  const body = Buffer.alloc(6 * 1024 * 1024);
  for (let index = 0; index < body.byteLength; index += 4) body.writeUInt32LE(index, index);
  // A stream, not a Buffer: the minio client uploads Buffers in one PUT whatever their size.
  await uploader.putObject(bucket, 'object.txt', Readable.from([body]), body.byteLength);
  const service = await startService({ env: { ...store.serviceEnv, S3_BUCKET: bucket } });
  try {
    const fetched = service.logs.find(byMessage('object fetched'))!;
    assert.match(String(fetched.etag), /-\d+"$/, JSON.stringify(fetched));
    assert.is(fetched.integrity, 'none: multipart ETag');
    const served = Buffer.from(await (await request(`${service.url}/`)).body.arrayBuffer());
    assert.ok(served.equals(body), 'the multipart object was not served intact');
  } finally {
    await service.kill();
  }
});

test.run();
