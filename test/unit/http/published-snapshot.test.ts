// A serving thread answers from the generation the main thread has published, never ahead of it
// or behind it: the two orders in which an update and its publication can reach a thread.
import { setTimeout as sleep } from 'node:timers/promises';
import { MessageChannel } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { publishedSnapshot } from '../../../src/http/published-snapshot.ts';
import { nextSnapshot, type Snapshot } from '../../../src/http/snapshot.ts';
import type { SnapshotUpdate } from '../../../src/serving-protocol.ts';
import { fetchedObject } from '../../helpers/fetched-object.ts';
import { waitFor } from '../../helpers/wait.ts';

const update = (generation: number): SnapshotUpdate => ({ generation, id: `snapshot-${generation}`, retain: [], changes: [{ path: '', object: fetchedObject(`v${generation}`) }], removed: [] });

/** A thread's side, holding generation 1, and the main thread's two steps: post the update, then publish its generation. */
async function setUp() {
  const { port1: main, port2: thread } = new MessageChannel();
  const memory = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  const published = new Int32Array(memory);
  let held: Snapshot | undefined;
  const snapshot = publishedSnapshot(thread, memory, (next) => (held = nextSnapshot(held, next, 'x').snapshot));
  const post = (generation: number) => main.postMessage(update(generation));
  const publish = (generation: number) => Atomics.store(published, 0, generation);
  const served = () => snapshot.current.objects.get('')!.identity.body.toString();
  const close = () => {
    main.close();
    thread.close();
  };
  post(1);
  publish(1);
  await waitFor('the first snapshot', () => held?.generation === 1);
  return { post, publish, served, generation: () => held?.generation ?? 0, close };
}

test('a published generation still waiting on the port is taken by the next request, before its message event', async () => {
  const thread = await setUp();
  try {
    thread.post(2);
    thread.publish(2);
    // Synchronously after the publication: the port's message event has not run yet.
    assert.is(thread.generation(), 1);
    assert.is(thread.served(), 'v2');
  } finally {
    thread.close();
  }
});

test('an update that arrives before its publication is held back until then', async () => {
  const thread = await setUp();
  try {
    thread.post(2); // not published yet
    await sleep(20);
    assert.is(thread.served(), 'v1', 'answered from a generation the main thread had not published');
    thread.publish(2);
    assert.is(thread.served(), 'v2');
    thread.post(3);
    thread.publish(3);
    await waitFor('generation 3 applied by its message event alone', () => thread.generation() === 3);
  } finally {
    thread.close();
  }
});

test.run();
