// src/shared/release-memory.ts in a fresh node each (its gc() comes from a process-wide flag):
// with --expose-gc each of its calls collects, in the main thread and in a worker thread; without
// it they do nothing and throw nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inFreshNode, inWorkerOfFreshNode } from '../helpers/fresh-node.ts';

const releaseMemory = new URL('../../src/shared/release-memory.ts', import.meta.url).href;

/** Prints, for each of the module's three calls, whether an unreachable object was collected. */
const collects = `
  const { collectGarbage, releaseDeadBuffer, releaseStartUpMemory } = await import(${JSON.stringify(releaseMemory)});
  const results = [];
  for (const collect of [releaseStartUpMemory, collectGarbage, () => releaseDeadBuffer(1024)]) {
    let target = { big: new Array(1000).fill('x') };
    const ref = new WeakRef(target);
    target = undefined;
    await new Promise((resolve) => setImmediate(resolve)); // WeakRefs hold their target for a turn
    collect();
    results.push(ref.deref() === undefined ? 'collected' : 'alive');
  }
  console.log(results.join(' '));
`;

test('with --expose-gc, each call collects', () => {
  assert.is(inFreshNode(['--expose-gc'], collects), 'collected collected collected');
});

test('with --expose-gc, each call collects in a worker thread too', () => {
  assert.is(inWorkerOfFreshNode(['--expose-gc'], collects), 'collected collected collected');
});

test('without --expose-gc, the calls do nothing and throw nothing (V8 decides)', () => {
  assert.is(inFreshNode([], collects), 'alive alive alive');
});

test.run();
