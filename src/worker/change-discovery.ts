// Fetch worker. How a refresh finds out what changed: the one part that differs between the modes.
// Everything after it (preparing, posting, CACHE_FILE, the stale decision) is one code path,
// src/worker/snapshot-refresh.ts. Side by side:
//   discover-key.ts      one-object mode: a conditional GET of S3_KEY
//   discover-marker.ts   prefix mode with SNAPSHOT_MARKER: the marker's conditional GET, then a listing
//   discover-listing.ts  prefix mode: a listing, plus GETs of what changed
import type { FetchedObject, SnapshotChange } from '../protocol.ts';
import type { StoreOperation } from './fetch-failure.ts';
import type { StoreObject } from './s3-object-source.ts';

/** The snapshot held, by path, as the worker remembers it (the main thread holds the same). */
export type HeldSnapshot = ReadonlyMap<string, FetchedObject>;

/** Digests, compressed forms, the date's strength: what the main thread serves of a fetched object. */
export type Prepare = (path: string, object: StoreObject) => Promise<FetchedObject>;

export type Discovery =
  | { kind: 'unchanged'; listPages: number }
  | { kind: 'changed'; changes: SnapshotChange[]; removed: string[]; listPages: number };

export interface ChangeDiscovery {
  /** What a refresh asks of the store, named by a failure that no single request explains. */
  readonly asked: StoreOperation;
  /** Store failures are thrown as StoreRequestFailed, naming the request that failed. */
  discover(held: HeldSnapshot, prepare: Prepare, signal: AbortSignal): Promise<Discovery>;
}

/** What failed, with the store request it failed on, for the failure line. */
export class StoreRequestFailed extends Error {
  readonly operation: StoreOperation;
  readonly failure: unknown;
  constructor(operation: StoreOperation, failure: unknown) {
    super('store request failed');
    this.operation = operation;
    this.failure = failure;
  }
}
