// GET / serves the object's exact bytes and headers; HEAD, 304, 404 and 405 behave as HTTP says.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import { startService } from '../helpers/service.ts';
import { objectInStore } from '../helpers/serving.ts';
import { testUnless } from '../helpers/skips.ts';

const allByteValues = Buffer.from(Array.from({ length: 256 }, (_, index) => index));
const objects: Array<[string, Buffer, string]> = [
  ['text', Buffer.from('hello world'), 'text/plain; charset=utf-8'],
  ['multi-line text with CRLF and a trailing newline', Buffer.from('one\ntwo\r\nthree\n'), 'text/plain'],
  ['all 256 byte values', Buffer.concat([allByteValues, allByteValues.reverse()]), 'application/octet-stream'],
  ['non-UTF-8 text (Latin-1)', Buffer.from('café naïve', 'latin1'), 'text/plain; charset=iso-8859-1'],
  ['an empty object', Buffer.alloc(0), 'application/octet-stream'],
  ['5 MiB of random bytes', randomBytes(5 * 1024 * 1024), 'application/octet-stream'],
];

for (const [name, bytes, contentType] of objects) {
  test(`GET / returns the exact bytes: ${name}`, async () => {
    const { etag, env } = await objectInStore(bytes, contentType);
    const service = await startService({ env: env });
    try {
      const response = await request(`${service.url}/`);
      const received = Buffer.from(await response.body.arrayBuffer());
      assert.is(response.statusCode, 200);
      assert.ok(received.equals(bytes), `body differs: got ${received.byteLength} bytes, want ${bytes.byteLength}`);
      assert.is(response.headers['content-length'], String(bytes.byteLength));
      assert.is(response.headers['content-type'], contentType);
      assert.is(response.headers.etag, etag);
    } finally {
      await service.kill();
    }
  });
}

test('headers: ETag, Last-Modified, Cache-Control from the refresh interval; HEAD; 304; 404; 405', async () => {
  const { etag, env } = await objectInStore('hello', 'text/plain');
  const service = await startService({ env: { ...env, REFRESH_INTERVAL: '30s' } });
  try {
    const get = await request(`${service.url}/`);
    await get.body.arrayBuffer();
    assert.is(get.headers.etag, etag);
    assert.is(get.headers['cache-control'], 'public, max-age=30');
    const lastModified = Date.parse(String(get.headers['last-modified']));
    assert.ok(Math.abs(lastModified - Date.now()) < 5 * 60_000, `Last-Modified ${get.headers['last-modified']}`);

    const head = await request(`${service.url}/`, { method: 'HEAD' });
    assert.is(head.statusCode, 200);
    assert.is(head.headers['content-length'], '5');
    assert.is(head.headers.etag, etag);
    assert.is((await head.body.arrayBuffer()).byteLength, 0);

    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const notModified = await request(`${service.url}/`, { headers: { 'if-none-match': ifNoneMatch } });
      assert.is(notModified.statusCode, 304, `If-None-Match: ${ifNoneMatch}`);
      assert.is(notModified.headers.etag, etag);
      assert.is((await notModified.body.arrayBuffer()).byteLength, 0);
    }
    const repeated = await request(`${service.url}/`, { headers: ['If-None-Match', '"other"', 'if-none-match', etag] });
    assert.is(repeated.statusCode, 304, 'If-None-Match given twice');
    await repeated.body.arrayBuffer();
    const stale = await request(`${service.url}/`, { headers: { 'if-none-match': '"stale"' } });
    assert.is(stale.statusCode, 200);
    assert.is(await stale.body.text(), 'hello');

    const withQuery = await request(`${service.url}/?cache-buster=1`);
    assert.is(await withQuery.body.text(), 'hello');

    for (const path of ['/object.txt', '/index.html', '//', '/-', '/-/unknown']) {
      const notFound = await request(`${service.url}${path}`);
      assert.is(notFound.statusCode, 404, path);
      assert.is(await notFound.body.text(), 'Not Found\n');
    }
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const notAllowed = await request(`${service.url}/`, { method, body: method === 'POST' ? 'x' : undefined });
      assert.is(notAllowed.statusCode, 405, method);
      assert.is(notAllowed.headers.allow, 'GET, HEAD');
      assert.is(notAllowed.headers['content-type'], 'text/plain; charset=utf-8');
      await notAllowed.body.arrayBuffer();
    }
  } finally {
    await service.kill();
  }
});

const addonBuilt = existsSync(new URL('../../dist/malloc-trim.node', import.meta.url));
testUnless(addonBuilt ? undefined : 'the build found no C compiler for dist/malloc-trim.node; install one with: apt-get install gcc libc6-dev, then npm run build')(
  'the running service has loaded the malloc_trim addon the build made (README, "Memory")',
  async () => {
    const { env } = await objectInStore('hello', 'text/plain');
    const service = await startService({ env });
    try {
      const maps = readFileSync(`/proc/${service.child.pid}/maps`, 'utf8');
      assert.ok(maps.includes('/dist/malloc-trim.node'), 'dist/malloc-trim.node is not mapped into the service');
    } finally {
      await service.kill();
    }
  },
);

test.run();
