// src/shared/memory-policy.ts in a fresh node each (its gc() comes from a process-wide flag):
// with --expose-gc each moment that collects does, in the main thread and in a worker thread, and
// the others do not; without the flag none does, and none throws.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inFreshNode, inWorkerOfFreshNode } from '../../helpers/fresh-node.ts';

const policy = new URL('../../../src/shared/memory-policy.ts', import.meta.url).href;

/** Prints, for each moment, whether an unreachable object was collected. */
const collects = `
  const policy = await import(${JSON.stringify(policy)});
  const moments = [
    () => policy.threadLoaded(),
    () => policy.firstSnapshotBuilt(1000),
    () => policy.firstSnapshotBuilt(1),
    () => policy.snapshotReplaced(1024),
    () => policy.snapshotReplaced(64 * 1024 * 1024),
    () => policy.afterFetch('changed'),
    () => policy.afterFetch('unchanged'),
  ];
  const results = [];
  for (const moment of moments) {
    let target = { big: new Array(1000).fill('x') };
    const ref = new WeakRef(target);
    target = undefined;
    await new Promise((resolve) => setImmediate(resolve)); // WeakRefs hold their target for a turn
    moment();
    results.push(ref.deref() === undefined ? 'collected' : 'alive');
  }
  console.log(results.join(' '));
`;
const expected = 'collected collected alive collected alive collected alive';

test('with --expose-gc, the moments that collect do, the others not', () => {
  assert.is(inFreshNode(['--expose-gc'], collects), expected);
});

test('with --expose-gc, the same in a worker thread', () => {
  assert.is(inWorkerOfFreshNode(['--expose-gc'], collects), expected);
});

test('without --expose-gc, nothing collects and nothing throws (V8 decides)', () => {
  assert.is(inFreshNode([], collects), 'alive alive alive alive alive alive alive');
});

test.run();
