// The refresh plan of a prefix, from its listing and the snapshot held; and the served Content-Type.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { servedContentType } from '../../../src/worker/discover-listing.ts';
import { planRefresh } from '../../../src/worker/snapshot-plan.ts';

/** What the plan compares: an ETag (as a GET gives it) and a body of that many bytes. */
const version = (etag: string, size: number) => ({ etag, body: { byteLength: size } });

const listed = (path: string, etag: string, size: number) => ({ key: `site/${path}`, path, etag, size, lastModified: undefined });

test('plan: unchanged (same ETag and size) costs nothing; new and changed are fetched; gone ones leave', () => {
  const held = new Map([
    ['same.html', version('"a"', 3)],
    ['changed.css', version('"b"', 4)],
    ['resized.js', version('"c"', 5)],
    ['gone.png', version('"d"', 6)],
  ]);
  const plan = planRefresh(held, [listed('same.html', '"a"', 3), listed('changed.css', '"B"', 4), listed('resized.js', '"c"', 7), listed('new.txt', '"e"', 1)]);
  assert.equal(plan.fetch.map(({ path }) => path), ['changed.css', 'resized.js', 'new.txt']);
  assert.equal(plan.removed, ['gone.png']);
  assert.is(plan.unchanged, 1);
  assert.equal(planRefresh(new Map(), []), { fetch: [], reuse: [], removed: [], unchanged: 0 });
});

test('plan: ETags compare as stores write them, quoted or not, weak in a listing', () => {
  const held = new Map([['a', version('"a1"', 1)], ['b', version('b1', 1)]]);
  assert.equal(planRefresh(held, [listed('a', 'a1', 1), listed('b', 'W/"b1"', 1)]).unchanged, 2);
});

test('plan: a version an attempt that raced already fetched is reused, not fetched again; another version is', () => {
  const staged = new Map([
    ['a.css', version('"a2"', 4)],
    ['b.js', version('"b2"', 4)],
  ]);
  const plan = planRefresh(new Map(), [listed('a.css', '"a2"', 4), listed('b.js', '"b3"', 4), listed('c.png', '"c1"', 1)], staged);
  assert.equal(plan.reuse.map(({ path }) => path), ['a.css']);
  assert.equal(plan.fetch.map(({ path }) => path), ['b.js', 'c.png']);
});

test('Content-Type: the store\'s, unless missing or generic; then by extension', () => {
  assert.is(servedContentType('text/html', 'page.txt'), 'text/html');
  assert.is(servedContentType('application/octet-stream', 'style.css'), 'text/css; charset=utf-8');
  assert.is(servedContentType('Binary/Octet-Stream; x=1', 'a/b/data.json'), 'application/json; charset=utf-8');
  assert.is(servedContentType(undefined, 'img.png'), 'image/png');
  assert.is(servedContentType(undefined, 'no-extension'), undefined);
  assert.is(servedContentType('application/octet-stream', 'archive.unknownext'), 'application/octet-stream');
});

test.run();
