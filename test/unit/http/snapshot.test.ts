// The next snapshot, built from the one before and an update, as every serving thread builds it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nextSnapshot } from '../../../src/http/snapshot.ts';
import { fetchedObject as object } from '../../helpers/fetched-object.ts';


test('next snapshot: built whole from the one before; unchanged entries are the same objects; released bytes counted', () => {
  const first = nextSnapshot(undefined, { generation: 1, id: 'snapshot-1', changes: [{ path: 'a', object: object('aa') }, { path: 'b', object: object('bbb') }], removed: [] }, 'public, max-age=60');
  assert.equal([first.snapshot.generation, first.snapshot.objects.size, first.snapshot.bytes, first.releasedBytes], [1, 2, 5, 0]);
  const second = nextSnapshot(first.snapshot, { generation: 2, id: 'snapshot-2', changes: [{ path: 'a', object: object('AAAA') }, { path: 'c', object: object('c') }], removed: ['b'] }, 'public, max-age=60');
  assert.equal([second.snapshot.generation, [...second.snapshot.objects.keys()].sort(), second.snapshot.bytes, second.releasedBytes], [2, ['a', 'c'], 5, 5]);
  assert.is(first.snapshot.objects.get('b')?.identity.body.toString(), 'bbb', 'the snapshot before was changed');
  const third = nextSnapshot(second.snapshot, { generation: 3, id: 'snapshot-3', changes: [{ path: 'd', object: object('d') }], removed: [] }, 'x');
  assert.ok(third.snapshot.objects.get('a') === second.snapshot.objects.get('a'), 'an unchanged entry was rebuilt');
});

test('next snapshot: each object\'s own Cache-Control, checked; a value HTTP cannot carry is dropped with a line', () => {
  const { snapshot, dropped } = nextSnapshot(
    undefined,
    {
      generation: 1,
      id: 'snapshot-1',
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

test.run();
