// Prefix mode's pure parts: the refresh plan from a listing, the served Content-Type, the next
// snapshot from an update, and the message check.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nextSnapshot } from '../../src/http/snapshot.ts';
import { isWorkerToMain, type FetchedObject } from '../../src/protocol.ts';
import { toSharedBytes } from '../../src/shared/shared-bytes.ts';
import { planRefresh } from '../../src/worker/snapshot-plan.ts';
import { servedContentType } from '../../src/worker/snapshot-refresh.ts';

const listed = (path: string, etag: string, size: number) => ({ key: `site/${path}`, path, etag, size });

test('plan: unchanged (same ETag and size) costs nothing; new and changed are fetched; gone ones leave', () => {
  const held = new Map([
    ['same.html', { etag: '"a"', size: 3 }],
    ['changed.css', { etag: '"b"', size: 4 }],
    ['resized.js', { etag: '"c"', size: 5 }],
    ['gone.png', { etag: '"d"', size: 6 }],
  ]);
  const plan = planRefresh(held, [listed('same.html', '"a"', 3), listed('changed.css', '"B"', 4), listed('resized.js', '"c"', 7), listed('new.txt', '"e"', 1)]);
  assert.equal(plan.fetch.map(({ path }) => path), ['changed.css', 'resized.js', 'new.txt']);
  assert.equal(plan.removed, ['gone.png']);
  assert.is(plan.unchanged, 1);
  assert.equal(planRefresh(new Map(), []), { fetch: [], reuse: [], removed: [], unchanged: 0 });
});

test('plan: a version an attempt that raced already fetched is reused, not fetched again; another version is', () => {
  const staged = new Map([
    ['a.css', { etag: '"a2"', size: 4 }],
    ['b.js', { etag: '"b2"', size: 4 }],
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

const object = (text: string, extra: Partial<FetchedObject> = {}): FetchedObject => ({
  body: toSharedBytes(Buffer.from(text)),
  sha256: 'x',
  variants: [],
  etag: `"${text}"`,
  lastModified: 'Fri, 27 Nov 2026 10:00:00 GMT',
  lastModifiedStrong: true,
  contentType: 'text/plain',
  cacheControl: undefined,
  integrity: 'md5',
  ...extra,
});

test('next snapshot: built whole from the one before; unchanged entries are the same objects; released bytes counted', () => {
  const first = nextSnapshot(undefined, { generation: 1, changes: [{ path: 'a', object: object('aa') }, { path: 'b', object: object('bbb') }], removed: [] }, 'public, max-age=60');
  assert.equal([first.snapshot.generation, first.snapshot.objects.size, first.snapshot.bytes, first.releasedBytes], [1, 2, 5, 0]);
  const second = nextSnapshot(first.snapshot, { generation: 2, changes: [{ path: 'a', object: object('AAAA') }, { path: 'c', object: object('c') }], removed: ['b'] }, 'public, max-age=60');
  assert.equal([second.snapshot.generation, [...second.snapshot.objects.keys()].sort(), second.snapshot.bytes, second.releasedBytes], [2, ['a', 'c'], 5, 5]);
  assert.is(first.snapshot.objects.get('b')?.identity.body.toString(), 'bbb', 'the snapshot before was changed');
  const third = nextSnapshot(second.snapshot, { generation: 3, changes: [{ path: 'd', object: object('d') }], removed: [] }, 'x');
  assert.ok(third.snapshot.objects.get('a') === second.snapshot.objects.get('a'), 'an unchanged entry was rebuilt');
});

test('next snapshot: each object\'s own Cache-Control, checked; a value HTTP cannot carry is dropped with a line', () => {
  const { snapshot, dropped } = nextSnapshot(
    undefined,
    {
      generation: 1,
      changes: [
        { path: 'app.js', object: object('js', { cacheControl: 'public, max-age=31536000, immutable' }) },
        { path: 'bad.js', object: object('bad', { cacheControl: 'max-age=1\r\nX-Injected: 1' }) },
        { path: 'plain.js', object: object('plain') },
      ],
      removed: [],
    },
    'public, max-age=60',
  );
  const cacheControlOf = (path: string) => {
    const headers = snapshot.objects.get(path)!.identity.okHeaders;
    return headers[headers.indexOf('Cache-Control') + 1];
  };
  assert.is(cacheControlOf('app.js'), 'public, max-age=31536000, immutable');
  assert.is(cacheControlOf('bad.js'), 'public, max-age=60');
  assert.is(cacheControlOf('plain.js'), 'public, max-age=60');
  assert.equal(dropped.length, 1);
  assert.match(dropped[0]!, /^bad\.js: the store sent a Cache-Control that HTTP cannot carry/);
});

test('the snapshot message is checked like the others', () => {
  const report = { durationMs: 1, answers: 0, listPages: 1, prepareMs: 0, confirmedAt: 1, fromCacheFile: false };
  assert.ok(isWorkerToMain({ type: 'snapshot', ...report, changes: [{ path: 'a', object: object('a') }], removed: ['b'] }));
  assert.ok(isWorkerToMain({ type: 'unchanged', durationMs: 1, answers: 0, listPages: 2 }));
  for (const bad of [
    { type: 'snapshot', ...report, changes: [{ path: 1, object: object('a') }], removed: [] },
    { type: 'snapshot', ...report, changes: [], removed: [7] },
    { type: 'snapshot', ...report, listPages: -1, changes: [], removed: [] },
    { type: 'unchanged', durationMs: 1, answers: 0, listPages: 'two' },
  ]) {
    assert.not.ok(isWorkerToMain(bad), JSON.stringify(bad));
  }
});

test.run();
