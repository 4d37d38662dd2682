import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cacheControlFor, toCachedObject } from '../../../src/http/cached-object.ts';
import { toSharedBytes } from '../../../src/shared/shared-bytes.ts';
import { fetchedObject } from '../../helpers/fetched-object.ts';

const fetched = fetchedObject('hello', { etag: '"abc"' });
const brotli = { encoding: 'br' as const, body: toSharedBytes(new Uint8Array([1, 2])), sha256: 'YnI=' };

test('headers are computed once, from the fetched object', () => {
  const { identity } = toCachedObject(fetched, 'public, max-age=60').object;
  assert.equal(identity.okHeaders, [
    'Content-Type', 'text/plain',
    'Content-Length', '5',
    'ETag', '"abc"',
    'Last-Modified', 'Fri, 27 Nov 2026 10:00:00 GMT',
    'Cache-Control', 'public, max-age=60',
    'Accept-Ranges', 'bytes',
    'Repr-Digest', `sha-256=:${fetched.sha256}:`,
  ]);
  assert.equal(identity.notModifiedHeaders, ['ETag', '"abc"', 'Last-Modified', fetched.lastModified, 'Cache-Control', 'public, max-age=60']);
  assert.equal(identity.unsatisfiableHeaders, [
    'Content-Type', 'text/plain; charset=utf-8',
    'Content-Length', '22',
    'Content-Range', 'bytes */5',
  ]);
  assert.is(identity.body.toString(), 'hello');
});

test('a compressed variant has its own ETag, digest and Content-Encoding; every answer varies', () => {
  const { object } = toCachedObject({ ...fetched, variants: [brotli] }, 'x');
  const [identity, variant] = object.representations;
  assert.is(variant!.etag, '"abc-br"');
  assert.equal(variant!.okHeaders.slice(0, 6), ['Content-Type', 'text/plain', 'Content-Length', '2', 'Content-Encoding', 'br']);
  assert.ok(variant!.okHeaders.includes('sha-256=:YnI=:'));
  // The 304 and 206 lists are cut from the 200's, past the variant's Content-Encoding for the 304.
  assert.equal(variant!.notModifiedHeaders, ['ETag', '"abc-br"', 'Last-Modified', fetched.lastModified, 'Cache-Control', 'x', 'Vary', 'Accept-Encoding']);
  assert.is(variant!.notModifiedHeaders, variant!.notModifiedHeaders, 'built once, then kept');
  assert.equal(variant!.partialHeaders, variant!.okHeaders.slice(4));
  assert.equal(variant!.partialHeaders.slice(0, 4), ['Content-Encoding', 'br', 'ETag', '"abc-br"']);
  for (const representation of [identity!, variant!]) {
    for (const list of [representation.okHeaders, representation.notModifiedHeaders, representation.partialHeaders, representation.unsatisfiableHeaders]) {
      assert.ok(list.includes('Vary'), `no Vary in ${list.join(' ')}`);
    }
  }
  assert.is(object.heldBytes, 7);
});

test('select: Accept-Encoding picks the representation, remembered per header value', () => {
  const { object } = toCachedObject({ ...fetched, variants: [brotli] }, 'x');
  assert.is(object.select(undefined).encoding, 'identity');
  assert.is(object.select('gzip, deflate, br').encoding, 'br');
  assert.is(object.select('gzip, deflate, br'), object.select('gzip, deflate, br'));
  assert.is(object.select('gzip').encoding, 'identity');
});

test('a store that reports no content type gets application/octet-stream; no object, no Vary', () => {
  const { identity } = toCachedObject({ ...fetched, contentType: undefined, etag: undefined, lastModified: undefined }, 'x').object;
  assert.equal(identity.okHeaders.slice(0, 6), ['Content-Type', 'application/octet-stream', 'Content-Length', '5', 'Cache-Control', 'x']);
  assert.not.ok(identity.okHeaders.includes('Vary'));
});

test('the body is a view on the shared memory, not a copy', () => {
  const { identity } = toCachedObject(fetched, 'x').object;
  assert.is(identity.body.buffer, fetched.body);
});

test('store header values HTTP cannot carry are dropped once, each with a line saying so', () => {
  const { object, dropped } = toCachedObject(
    { ...fetched, etag: '"bad\r\nX-Injected: 1"', lastModified: 'yesterday-ish', contentType: 'text/plain\u0000' },
    'x',
  );
  assert.equal(object.identity.okHeaders.slice(0, 6), ['Content-Type', 'application/octet-stream', 'Content-Length', '5', 'Cache-Control', 'x']);
  assert.is(object.identity.etag, undefined);
  assert.is(object.lastModified, undefined);
  assert.is(dropped.length, 3);
  assert.ok(dropped.some((line) => line.includes('Last-Modified that is not a date')));
});

test('a Last-Modified in another date format is served as an IMF-fixdate', () => {
  const { object, dropped } = toCachedObject({ ...fetched, lastModified: '2026-11-27T10:00:00Z' }, 'x');
  assert.is(object.lastModified, 'Fri, 27 Nov 2026 10:00:00 GMT');
  assert.is(object.lastModifiedMs, Date.UTC(2026, 10, 27, 10));
  assert.equal(dropped, []);
});

test('Cache-Control follows the refresh interval', () => {
  assert.is(cacheControlFor(60_000, 'public'), 'public, max-age=60');
  assert.is(cacheControlFor(1_500, 'public'), 'public, max-age=1');
  assert.is(cacheControlFor(60_000, 'private'), 'private, max-age=60');
});

test('a Last-Modified seen on another version is served but is no strong validator for If-Range', () => {
  const strong = toCachedObject(fetched, 'x').object;
  assert.is(strong.strongLastModified, 'Fri, 27 Nov 2026 10:00:00 GMT');
  const weak = toCachedObject({ ...fetched, lastModifiedStrong: false }, 'x').object;
  assert.is(weak.lastModified, 'Fri, 27 Nov 2026 10:00:00 GMT');
  assert.is(weak.strongLastModified, undefined);
});

test.run();
