// SKEW_PROTECTION's decisions in the main thread: which snapshots every thread retains, and when a
// pin may make the replica refresh.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nextSnapshot, type Snapshot } from '../../../src/http/snapshot.ts';
import { createCatchUp, Retention } from '../../../src/main/skew-protection.ts';
import { fetchedObject } from '../../helpers/fetched-object.ts';

let generation = 0;
/** A snapshot `id` whose objects are `files` (path → text); unchanged files share the entry of `previous`. */
function snapshot(id: string, files: Record<string, string>, previous?: Snapshot): Snapshot {
  const changes = Object.entries(files)
    .filter(([path, text]) => previous?.objects.get(path)?.identity.body.toString() !== text)
    .map(([path, text]) => ({ path, object: fetchedObject(text) }));
  const removed = [...(previous?.objects.keys() ?? [])].filter((path) => !(path in files));
  return nextSnapshot(previous, { generation: ++generation, id, changes, removed }, 'x').snapshot;
}

test('retention: off keeps nothing; on keeps what was current within the duration, at most the count, newest first', () => {
  const a = snapshot('a', { x: '1'.repeat(10) });
  const b = snapshot('b', { x: '2'.repeat(10) }, a);
  assert.equal(new Retention({ skewMs: 0, retainedSnapshots: 5, maxTotalBytes: 1e9 }).next(a, b), []);
  const retention = new Retention({ skewMs: 60_000, retainedSnapshots: 3, maxTotalBytes: 1e9 });
  assert.equal(retention.next(undefined, a, 0), []);
  assert.equal(retention.next(a, b, 1_000), [{ id: 'a', until: 61_000 }]);
  const c = snapshot('c', { x: '3'.repeat(10) }, b);
  const d = snapshot('d', { x: '4'.repeat(10) }, c);
  retention.next(b, c, 2_000);
  assert.equal(retention.next(c, d, 3_000).map(({ id }) => id), ['c', 'b'], 'more than RETAINED_SNAPSHOTS');
  assert.is(retention.get('c', 3_000), c);
  assert.is(retention.get('a', 3_000), undefined);
  assert.equal(retention.next(d, snapshot('e', {}, d), 70_000).map(({ id }) => id), ['d'], 'past the duration');
});

test('retention: bodies shared by snapshots count once; past MAX_TOTAL_BYTES the oldest goes first; a snapshot current again is not retained', () => {
  const a = snapshot('a', { same: 's'.repeat(100), x: 'a'.repeat(100) });
  const b = snapshot('b', { same: 's'.repeat(100), x: 'b'.repeat(100) }, a);
  const c = snapshot('c', { same: 's'.repeat(100), x: 'c'.repeat(100) }, b);
  const retention = new Retention({ skewMs: 60_000, retainedSnapshots: 5, maxTotalBytes: 350 });
  retention.next(undefined, a, 0);
  retention.next(a, b, 1);
  assert.is(retention.extraBytes, 100, 'the shared body was counted twice');
  assert.equal(retention.next(b, c, 2).map(({ id }) => id), ['b'], 'a, the oldest, should have gone to stay within 350 bytes');
  const back = snapshot('b', { same: 's'.repeat(100), x: 'b'.repeat(100) }, c);
  assert.equal(retention.next(c, back, 3).map(({ id }) => id), ['c']);
});

/** A refresh the test ends by hand, and what it brings; `now`: the catch-up's clock. */
function refreshes(now?: () => number) {
  const started: Array<(outcome: string) => void> = [];
  const held = new Set<string>();
  const refresh = () => new Promise<{ outcome: string }>((resolve) => started.push((outcome) => resolve({ outcome })));
  return { started, held, catchUp: createCatchUp(refresh, (id) => held.has(id), now) };
}
const turn = () => new Promise((resolve) => setImmediate(resolve));

test('catch-up: one refresh for every waiting pin; a pin it brought is held, one it did not is not tried again', async () => {
  // Both pins are asked at the refresh's start: on the wall clock a millisecond may pass between
  // them, and a pin asked after a refresh began rightly waits for the next one.
  const { started, held, catchUp } = refreshes(() => 1_000_000);
  const first = catchUp('aaaaaaaaaaaaaaaa');
  const second = catchUp('bbbbbbbbbbbbbbbb');
  await turn();
  assert.is(started.length, 1);
  held.add('aaaaaaaaaaaaaaaa');
  started[0]!('changed');
  await Promise.all([first, second]);
  await catchUp('bbbbbbbbbbbbbbbb');
  await turn();
  assert.is(started.length, 1, 'an id a refresh did not bring caused another refresh');
});

test('catch-up: a failed refresh says nothing of the pin; at most one refresh a second', async () => {
  const { started, catchUp } = refreshes();
  const pin = 'cccccccccccccccc';
  const waiting = catchUp(pin);
  await turn();
  started[0]!('failed');
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.is(started.length, 1, 'a second refresh within the second');
  await new Promise((resolve) => setTimeout(resolve, 800));
  assert.is(started.length, 2, 'the pin was given up after a failed refresh');
  started[1]!('unchanged');
  await waiting;
});

test.run();
