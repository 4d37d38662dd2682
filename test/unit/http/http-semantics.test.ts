// The pure parts of the HTTP semantics: ranges, content negotiation, validators, request targets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ifRangeHolds, matchesIfNoneMatch, notModifiedSince } from '../../../src/http/conditionals.ts';
import { chooseEncoding } from '../../../src/http/negotiation.ts';
import { maxParts, planRanges } from '../../../src/http/ranges.ts';
import { targetPath } from '../../../src/http/request-handler.ts';

test('Range: a-b, a-, -n; clipped to the length; several in the order asked', () => {
  assert.equal(planRanges('bytes=0-4', 10), { kind: 'parts', parts: [[0, 4]] });
  assert.equal(planRanges('bytes=7-', 10), { kind: 'parts', parts: [[7, 9]] });
  assert.equal(planRanges('bytes=-3', 10), { kind: 'parts', parts: [[7, 9]] });
  assert.equal(planRanges('bytes=-30', 10), { kind: 'parts', parts: [[0, 9]] });
  assert.equal(planRanges('bytes=5-100', 10), { kind: 'parts', parts: [[5, 9]] });
  assert.equal(planRanges('BYTES = 6-7, 0-1', 10), { kind: 'parts', parts: [[6, 7], [0, 1]] });
});

test('Range: nothing satisfiable is 416; unsatisfiable specs beside good ones are dropped', () => {
  assert.equal(planRanges('bytes=10-', 10), { kind: 'unsatisfiable' });
  assert.equal(planRanges('bytes=-0', 10), { kind: 'unsatisfiable' });
  assert.equal(planRanges('bytes=0-', 0), { kind: 'unsatisfiable' });
  assert.equal(planRanges('bytes=20-30, 2-3', 10), { kind: 'parts', parts: [[2, 3]] });
});

test('Range: malformed, other units, overlapping or too many: the whole representation', () => {
  for (const header of ['bytes=abc', 'bytes=5-2', 'bytes=-', 'items=0-1', 'bytes 0-1', 'bytes=', 'bytes=0-4, 3-6']) {
    assert.equal(planRanges(header, 10), { kind: 'whole' }, header);
  }
  const many = Array.from({ length: maxParts + 1 }, (_, index) => `${index * 2}-${index * 2}`).join(',');
  assert.equal(planRanges(`bytes=${many}`, 100), { kind: 'whole' });
});

test('Accept-Encoding: q-values, server order on ties, identity unless excluded', () => {
  const offered = ['br', 'gzip'] as const;
  assert.is(chooseEncoding(undefined, offered), 'identity');
  assert.is(chooseEncoding('gzip, deflate, br', offered), 'br');
  assert.is(chooseEncoding('gzip', offered), 'gzip');
  assert.is(chooseEncoding('br;q=0.5, gzip;q=0.8', offered), 'gzip');
  assert.is(chooseEncoding('br;q=0, gzip;q=0', offered), 'identity');
  assert.is(chooseEncoding('identity', offered), 'identity');
  assert.is(chooseEncoding('*', offered), 'br');
  assert.is(chooseEncoding('*;q=0.5, identity', offered), 'identity');
  assert.is(chooseEncoding('gzip;q=0.5, identity;q=0.6', offered), 'identity');
  assert.is(chooseEncoding('identity;q=0, *;q=0', offered), 'identity'); // nothing acceptable: as nginx
  assert.is(chooseEncoding('GZIP;Q=1', offered), 'gzip');
  assert.is(chooseEncoding('gzip;q=bogus', offered), 'identity');
  assert.is(chooseEncoding('deflate', offered), 'identity');
});

test('If-None-Match: exact, weak, lists and *', () => {
  assert.ok(matchesIfNoneMatch('"abc"', '"abc"'));
  assert.ok(matchesIfNoneMatch('W/"abc"', '"abc"'));
  assert.ok(matchesIfNoneMatch('"x", "abc"', '"abc"'));
  assert.ok(matchesIfNoneMatch('*', '"abc"'));
  assert.not.ok(matchesIfNoneMatch('"abcd"', '"abc"'));
  assert.not.ok(matchesIfNoneMatch('"abc"', undefined));
});

test('If-Modified-Since: not newer is not modified; an invalid date is ignored', () => {
  const lastModified = Date.parse('Fri, 27 Nov 2026 10:00:00 GMT');
  assert.ok(notModifiedSince('Fri, 27 Nov 2026 10:00:00 GMT', lastModified));
  assert.ok(notModifiedSince('Sat, 28 Nov 2026 10:00:00 GMT', lastModified));
  assert.not.ok(notModifiedSince('Thu, 26 Nov 2026 10:00:00 GMT', lastModified));
  assert.not.ok(notModifiedSince('not a date', lastModified));
});

test('If-Range: a strong ETag equal to the current one, or exactly the Last-Modified date where it is strong', () => {
  const date = 'Fri, 27 Nov 2026 10:00:00 GMT';
  assert.ok(ifRangeHolds(undefined, '"a"', date));
  assert.ok(ifRangeHolds('"a"', '"a"', date));
  assert.not.ok(ifRangeHolds('"b"', '"a"', date));
  assert.not.ok(ifRangeHolds('W/"a"', '"a"', date));
  assert.not.ok(ifRangeHolds('"a"', 'W/"a"', date));
  assert.ok(ifRangeHolds(date, '"a"', date));
  assert.not.ok(ifRangeHolds('Thu, 26 Nov 2026 10:00:00 GMT', '"a"', date));
  assert.not.ok(ifRangeHolds(date, '"a"', undefined)); // no date, or one seen on two versions
  assert.ok(ifRangeHolds('"a"', '"a"', undefined), 'a weak date does not weaken the ETag');
});

test('request targets: origin form and absolute form (RFC 9112 §3.2.2)', () => {
  assert.is(targetPath('/'), '/');
  assert.is(targetPath('/?x=1'), '/');
  assert.is(targetPath('/-/healthz'), '/-/healthz');
  assert.is(targetPath('http://cache.example:8000/'), '/');
  assert.is(targetPath('http://cache.example:8000'), '/');
  assert.is(targetPath('http://cache.example:8000/?q'), '/');
  assert.is(targetPath('HTTP://cache.example/-/readyz'), '/-/readyz');
  assert.is(targetPath('*'), '*');
});

test.run();
