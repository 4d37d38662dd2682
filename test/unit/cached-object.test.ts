import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cacheControlFor, matchesIfNoneMatch, toCachedObject } from '../../src/http/cached-object.ts';

const fetched = {
  body: new TextEncoder().encode('hello').buffer as ArrayBuffer,
  etag: '"abc"',
  lastModified: 'Fri, 27 Nov 2026 10:00:00 GMT',
  contentType: 'text/plain',
};

test('headers are computed once, from the fetched object', () => {
  const { object } = toCachedObject(fetched, 'public, max-age=60');
  assert.equal(object.okHeaders, [
    'Content-Type', 'text/plain',
    'Content-Length', '5',
    'ETag', '"abc"',
    'Last-Modified', 'Fri, 27 Nov 2026 10:00:00 GMT',
    'Cache-Control', 'public, max-age=60',
  ]);
  assert.equal(object.notModifiedHeaders, ['ETag', '"abc"', 'Last-Modified', fetched.lastModified, 'Cache-Control', 'public, max-age=60']);
  assert.is(object.body.toString(), 'hello');
});

test('a store that reports no content type gets application/octet-stream', () => {
  const { object } = toCachedObject({ ...fetched, contentType: undefined, etag: undefined, lastModified: undefined }, 'x');
  assert.equal(object.okHeaders, ['Content-Type', 'application/octet-stream', 'Content-Length', '5', 'Cache-Control', 'x']);
});

test('the body is a view on the transferred memory, not a copy', () => {
  const { object } = toCachedObject(fetched, 'x');
  assert.is(object.body.buffer, fetched.body);
});

test('store header values HTTP cannot carry are dropped once, each with a line saying so', () => {
  const { object, dropped } = toCachedObject(
    { ...fetched, etag: '"bad\r\nX-Injected: 1"', lastModified: 'yesterday-ish', contentType: 'text/plain\u0000' },
    'x',
  );
  assert.equal(object.okHeaders, ['Content-Type', 'application/octet-stream', 'Content-Length', '5', 'Cache-Control', 'x']);
  assert.is(object.etag, undefined);
  assert.is(dropped.length, 3);
  assert.ok(dropped.some((line) => line.includes('Last-Modified that is not a date')));
});

test('a Last-Modified in another date format is served as an IMF-fixdate', () => {
  const { object, dropped } = toCachedObject({ ...fetched, lastModified: '2026-11-27T10:00:00Z' }, 'x');
  assert.ok(object.okHeaders.includes('Fri, 27 Nov 2026 10:00:00 GMT'));
  assert.equal(dropped, []);
});

test('Cache-Control follows the refresh interval', () => {
  assert.is(cacheControlFor(60_000), 'public, max-age=60');
  assert.is(cacheControlFor(1_500), 'public, max-age=1');
});

test('If-None-Match: exact, weak, lists and *', () => {
  assert.ok(matchesIfNoneMatch('"abc"', '"abc"'));
  assert.ok(matchesIfNoneMatch('W/"abc"', '"abc"'));
  assert.ok(matchesIfNoneMatch('"x", "abc"', '"abc"'));
  assert.ok(matchesIfNoneMatch('*', '"abc"'));
  assert.not.ok(matchesIfNoneMatch('"abcd"', '"abc"'));
  assert.not.ok(matchesIfNoneMatch('"abc"', undefined));
});

test.run();
