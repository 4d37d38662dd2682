// Serving thread. A snapshot as the HTTP layer serves it, in both modes: each object's entry (its
// representations and header lists, src/http/cached-object.ts) by its path ('' in one-object
// mode). A snapshot is never changed: the next one is built whole from the one before and what
// changed, then swapped in by one assignment, so no request sees a mix. Unchanged objects keep
// their entry: nothing of theirs is built, copied or freed.
import type { SnapshotUpdate } from '../serving-protocol.ts';
import { toCachedObject, type CachedObject } from './cached-object.ts';
import type { ServedFrom } from './snapshot-pins.ts';

export interface Snapshot {
  /** 1 for the first; each thread holds the same generation once it has caught up. */
  readonly generation: number;
  /** Derived from its keys and ETags: the same on every replica that holds the same set (Snapshot-Id). */
  readonly id: string;
  /** How an answer from it is sent when no pin is involved (`Snapshot-Id` built once). */
  readonly served: ServedFrom;
  readonly objects: ReadonlyMap<string, CachedObject>;
  /** Bodies as stored, all entries together. */
  readonly bytes: number;
  /** What the snapshot holds: bodies and their compressed variants. */
  readonly heldBytes: number;
}

export interface NextSnapshot {
  snapshot: Snapshot;
  /** Header values from the store that could not be served, each a line for the log. */
  dropped: string[];
  /** Bytes of the entries that left (replaced or removed): garbage once no request holds them. */
  releasedBytes: number;
}

export function nextSnapshot(previous: Snapshot | undefined, update: Omit<SnapshotUpdate, 'retain'>, cacheControl: string): NextSnapshot {
  const objects = new Map(previous?.objects);
  const dropped: string[] = [];
  let bytes = previous?.bytes ?? 0;
  let heldBytes = previous?.heldBytes ?? 0;
  let releasedBytes = 0;
  const release = (path: string) => {
    const gone = objects.get(path);
    if (gone === undefined) return;
    objects.delete(path);
    bytes -= gone.identity.body.byteLength;
    heldBytes -= gone.heldBytes;
    releasedBytes += gone.heldBytes;
  };
  for (const path of update.removed) release(path);
  for (const { path, object } of update.changes) {
    release(path);
    const prepared = toCachedObject(object, cacheControl);
    for (const problem of prepared.dropped) dropped.push(`${path}: ${problem}`);
    objects.set(path, prepared.object);
    bytes += object.body.byteLength;
    heldBytes += prepared.object.heldBytes;
  }
  const served = { named: ['Snapshot-Id', update.id], cookie: undefined, retained: false };
  return { snapshot: { generation: update.generation, id: update.id, served, objects, bytes, heldBytes }, dropped, releasedBytes };
}
