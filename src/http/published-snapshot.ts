// Serving thread. The snapshot a serving thread answers from: the generation the main thread has
// published, never one ahead of it or behind it. Updates arrive on a port of their own; the main
// thread posts one to every thread and then publishes its generation. A request that finds the
// published generation newer than the thread's takes the updates waiting on the port at once
// (receiveMessageOnPort); an update that arrives before its publication is held back until then.
// So once any thread has answered from snapshot N+1, no request that starts later is answered
// from N, in any thread.
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { SnapshotUpdate } from '../serving-protocol.ts';
import type { Snapshot } from './snapshot.ts';

/** Builds and swaps in the next snapshot from an update, and returns it. */
export type ApplyUpdate = (update: SnapshotUpdate) => Snapshot;

export function publishedSnapshot(updates: MessagePort, publishedMemory: SharedArrayBuffer, apply: ApplyUpdate): { readonly current: Snapshot } {
  const published = new Int32Array(publishedMemory);
  /** Arrived, in order, and not yet applied. */
  const waiting: SnapshotUpdate[] = [];
  let snapshot: Snapshot | undefined;
  let recheck: NodeJS.Timeout | undefined;

  function applyPublished(): void {
    const generation = Atomics.load(published, 0);
    while (waiting.length > 0 && waiting[0]!.generation <= generation) snapshot = apply(waiting.shift()!);
    // The main thread publishes right after it posts: an update ahead of it waits a moment.
    if (waiting.length > 0) recheck ??= setTimeout(() => {
      recheck = undefined;
      applyPublished();
    }, 1);
  }

  updates.on('message', (update: SnapshotUpdate) => {
    waiting.push(update);
    applyPublished();
  });

  return {
    get current(): Snapshot {
      if (snapshot!.generation < Atomics.load(published, 0)) {
        for (let received = receiveMessageOnPort(updates); received !== undefined; received = receiveMessageOnPort(updates)) {
          waiting.push(received.message as SnapshotUpdate);
        }
        applyPublished();
      }
      return snapshot!;
    },
  };
}
