// Fetch worker. Refreshing every object under a prefix as one snapshot (S3_PREFIX). Each refresh
// lists the prefix (every page) and compares key, ETag and size with the snapshot held: unchanged
// objects keep their memory and cost nothing, new and changed ones are fetched (FETCH_CONCURRENCY
// at once) with If-Match set to the listed ETag, removed ones leave. The next snapshot is built
// whole, then posted once, as what changed: each thread swaps it in at once. With SNAPSHOT_MARKER
// a refresh first asks for the marker alone (a conditional GET) and lists only once it changed,
// so a deploy that uploads every file and then the marker is never seen half done.
//
// An object that changed again between the listing and its GET (412, another ETag, gone) means
// that listing cannot be served whole: the refresh is retried with back-off, whatever the mode,
// and the snapshot held stays served. The objects that attempt did fetch are kept, and the retry
// fetches only what changed since: under a steady trickle of changes (a busy site) the next
// snapshot converges instead of starting over each time. Any other failure is a failed refresh as
// in one-object mode:
// the worker stops (exit 1), or with STALE_IF_ERROR retries while the snapshot held, or the one in
// CACHE_FILE, is served.
import { performance } from 'node:perf_hooks';
import { contentType as typeByExtension } from 'mime-types';
import pLimit from 'p-limit';
import type { FetchedObject, SnapshotChange } from '../protocol.ts';
import { collectGarbage } from '../shared/release-memory.ts';
import { CacheFileError } from './cache-file.ts';
import { describeFetchError, failureCode, type StoreOperation } from './fetch-failure.ts';
import { lastModifiedIsStrong } from './last-modified.ts';
import { ObjectError, SnapshotChangedError } from './object-errors.ts';
import { ListedObjectTooLarge, listPrefix, type ListedObject } from './prefix-listing.ts';
import type { FetchOnce } from './refresh-loop.ts';
import { encodedVariants, sha256Of } from './representations.ts';
import { fetchObject, type StoreObject } from './s3-object-source.ts';
import { confirmSnapshot, readSnapshot, storeSnapshot } from './snapshot-cache-file.ts';
import { planRefresh } from './snapshot-plan.ts';
import { keepCopy, warn, type WorkerContext } from './worker-context.ts';

/** An object of the snapshot held, as the worker remembers it. */
interface HeldObject {
  /** As listed: what the next listing is compared with. */
  etag: string;
  size: number;
  /** Kept for CACHE_FILE, which holds the whole snapshot; shared memory, so no copy. */
  object: FetchedObject;
}

/** Nothing under the prefix: most likely a mistaken S3_PREFIX, and never a site to serve. */
class EmptyPrefixError extends ObjectError {
  readonly code = 'EmptyPrefix';
  readonly fix = 'upload the objects or set S3_PREFIX to where they are';
}

/** What failed, with the store request it failed on, for the failure line. */
class StoreRequestFailed extends Error {
  readonly operation: StoreOperation;
  readonly failure: unknown;
  constructor(operation: StoreOperation, failure: unknown) {
    super('store request failed');
    this.operation = operation;
    this.failure = failure;
  }
}

const genericTypes = new Set(['binary/octet-stream', 'application/octet-stream']);

/** The store's Content-Type, unless it has none or only a generic one: then one from the extension. */
export function servedContentType(storeType: string | undefined, path: string): string | undefined {
  const essence = storeType?.split(';')[0]!.trim().toLowerCase();
  if (essence !== undefined && essence !== '' && !genericTypes.has(essence)) return storeType;
  return typeByExtension(path.slice(path.lastIndexOf('/') + 1)) || storeType;
}

/** ETags as stores write them: quoted or not, sometimes weak in a listing. */
const sameEtag = (a: string | undefined, b: string) => a?.replace(/^W\//, '').replaceAll('"', '') === b.replace(/^W\//, '').replaceAll('"', '');

export function createSnapshotRefresh(context: WorkerContext): FetchOnce {
  const { client, job, post } = context;
  const prefix = job.prefix!;
  const staleMode = job.staleIfErrorMs > 0;
  const held = new Map<string, HeldObject>();
  /** Fetched by an attempt that raced with a change, not yet part of a snapshot. */
  const staged = new Map<string, HeldObject>();
  /** Whether the main thread holds a snapshot it can go on serving if a refresh fails. */
  let holdsSnapshot = false;
  /** The marker's ETag in the last listing; undefined while there was none. */
  let markerEtag: string | undefined;
  /** The digest of the snapshot in CACHE_FILE, for the confirmation of unchanged refreshes. */
  let cachedDigest: string | undefined;
  const markerKey = job.snapshotMarker === undefined ? undefined : prefix + job.snapshotMarker;
  /** Of the refresh in progress: the time spent on digests and compression, summed over its objects. */
  let preparedMs = 0;

  /** Whether the marker changed since the last listing; a marker that is not there (yet) changes nothing. */
  async function markerChanged(key: string, signal: AbortSignal): Promise<boolean> {
    try {
      return (await fetchObject(client, job, { key, ifNoneMatch: markerEtag }, signal)).kind === 'changed';
    } catch (error) {
      if (failureCode(error).code === 'NoSuchKey') return false;
      throw new StoreRequestFailed({ kind: 'fetch', key }, error);
    }
  }

  /** One new or changed object, the version the listing showed, with what is derived from it. */
  async function fetchListed(listed: ListedObject, signal: AbortSignal): Promise<SnapshotChange> {
    const operation: StoreOperation = { kind: 'fetch', key: listed.key };
    let result;
    try {
      result = await fetchObject(client, job, { key: listed.key, ifMatch: listed.etag }, signal);
    } catch (error) {
      const { code, httpStatus } = failureCode(error);
      const raced = httpStatus === 412 || code === 'PreconditionFailed' || code === 'NoSuchKey';
      throw new StoreRequestFailed(operation, raced ? new SnapshotChangedError(`it changed between the listing and its GET (${code})`) : error);
    }
    // Without If-None-Match a 304 cannot come (fetchObject throws UnexpectedNotModified).
    if (result.kind !== 'changed') throw new StoreRequestFailed(operation, new Error('a 304 to a GET without If-None-Match'));
    // A store that ignores If-Match (s3rver) answers with whatever it holds now.
    if (!sameEtag(result.object.etag, listed.etag)) {
      const detail = `it changed between the listing and its GET (ETag ${result.object.etag}, listed ${listed.etag})`;
      throw new StoreRequestFailed(operation, new SnapshotChangedError(detail));
    }
    const preparingSince = performance.now();
    const object = await prepared(listed.path, result.object, sha256Of(new Uint8Array(result.object.body)));
    preparedMs += performance.now() - preparingSince;
    return { path: listed.path, object };
  }

  /** Digest, type, compressed forms and the strength of its date: what the main thread serves. */
  async function prepared(path: string, object: StoreObject, sha256: string): Promise<FetchedObject> {
    const contentType = servedContentType(object.contentType, path);
    return {
      ...object,
      contentType,
      sha256,
      // The version held before is the one whose date this one's is compared with.
      lastModifiedStrong: lastModifiedIsStrong(held.get(path)?.object, object.lastModified, sha256),
      variants: await encodedVariants(object.body, contentType, job),
    };
  }

  /**
   * Every GET of `objects`, FETCH_CONCURRENCY at a time, each one staged as it arrives. A failure
   * cancels the others; a race does not (what the others fetch is staged for the retry), and is
   * thrown once they have all ended.
   */
  async function fetchAll(objects: readonly ListedObject[], signal: AbortSignal): Promise<void> {
    const limit = pLimit(job.fetchConcurrency);
    const cancel = new AbortController();
    const either = AbortSignal.any([signal, cancel.signal]);
    let race: StoreRequestFailed | undefined;
    const fetches = objects.map((listed) =>
      limit(async () => {
        try {
          const { object } = await fetchListed(listed, either);
          staged.set(listed.path, { etag: listed.etag, size: listed.size, object });
        } catch (error) {
          if (error instanceof StoreRequestFailed && error.failure instanceof SnapshotChangedError) race ??= error;
          else {
            cancel.abort();
            limit.clearQueue();
            throw error;
          }
        }
      }),
    );
    const ended = await Promise.allSettled(fetches);
    const failed = ended.find((outcome) => outcome.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    if (race !== undefined) throw race;
  }

  type Report = { durationMs: number; answers: number; listPages: number; prepareMs: number };
  function postSnapshot(changes: SnapshotChange[], removed: string[], report: Report, confirmedAt: number, fromCacheFile: boolean) {
    post({ type: 'snapshot', changes, removed, ...report, confirmedAt, fromCacheFile });
    holdsSnapshot = true;
  }

  /** At start-up, with the store failing: the snapshot on disk, if intact, ours and fresh enough. */
  async function serveSnapshotFromDisk(): Promise<boolean> {
    if (job.cacheFile === undefined) return false;
    try {
      const stored = await readSnapshot(job.cacheFile, { ...job, prefix });
      const ageMs = Date.now() - stored.confirmedAt;
      if (ageMs >= job.staleIfErrorMs) {
        throw new CacheFileError(`its snapshot was last confirmed ${Math.round(ageMs / 1000)} s ago, beyond STALE_IF_ERROR`);
      }
      const startedAt = performance.now();
      const changes = await Promise.all(stored.objects.map(async ({ path, object, sha256 }) => ({ path, object: await prepared(path, object, sha256) })));
      for (const { path, object } of changes) held.set(path, { etag: object.etag ?? '', size: object.body.byteLength, object });
      cachedDigest = stored.digest;
      const prepareMs = Math.round(performance.now() - startedAt);
      postSnapshot(changes, [], { durationMs: prepareMs, answers: 0, listPages: 0, prepareMs }, stored.confirmedAt, true);
      return true;
    } catch (error) {
      if (!(error instanceof CacheFileError)) throw error;
      warn(context, 'CacheFileUnusable', `CACHE_FILE ${job.cacheFile} is not served: ${error.message}`);
      return false;
    }
  }

  function confirmCachedSnapshot(confirmedAt: number): Promise<void> {
    const digest = cachedDigest;
    if (job.cacheFile === undefined || digest === undefined) return Promise.resolve();
    return keepCopy(context, () => confirmSnapshot(job.cacheFile!, digest, confirmedAt));
  }

  return async (signal, answers) => {
    const startedAt = performance.now();
    const durationMs = () => Math.round(performance.now() - startedAt);
    let listPages = 0;
    preparedMs = 0;
    try {
      if (markerKey !== undefined && holdsSnapshot && !(await markerChanged(markerKey, signal))) {
        post({ type: 'unchanged', durationMs: durationMs(), answers, listPages });
        await confirmCachedSnapshot(Date.now());
        return 'succeeded';
      }
      let listing;
      try {
        listing = await listPrefix(client, { ...job, prefix }, signal);
      } catch (error) {
        if (error instanceof ListedObjectTooLarge) throw new StoreRequestFailed({ kind: 'fetch', key: error.key }, error);
        throw new StoreRequestFailed({ kind: 'list', prefix }, error);
      }
      listPages = listing.pages;
      if (listing.objects.length === 0) {
        throw new StoreRequestFailed({ kind: 'list', prefix }, new EmptyPrefixError(`no object under s3://${job.bucket}/${prefix}`));
      }
      const plan = planRefresh(held, listing.objects, staged);
      const listedMarker = listing.objects.find((listed) => listed.key === markerKey)?.etag;
      const confirmedAt = Date.now();
      if (holdsSnapshot && plan.fetch.length === 0 && plan.reuse.length === 0 && plan.removed.length === 0) {
        markerEtag = listedMarker;
        post({ type: 'unchanged', durationMs: durationMs(), answers, listPages });
        await confirmCachedSnapshot(confirmedAt);
        return 'succeeded';
      }
      await fetchAll(plan.fetch, signal);
      // Every version this listing showed is fetched (now, or by an attempt that raced): the next snapshot.
      const changes = [...plan.fetch, ...plan.reuse].map(({ path }) => {
        const fetched = staged.get(path)!;
        held.set(path, fetched);
        return { path, object: fetched.object };
      });
      staged.clear();
      for (const path of plan.removed) held.delete(path);
      markerEtag = listedMarker;
      const report = { durationMs: durationMs(), answers, listPages, prepareMs: Math.round(preparedMs) };
      postSnapshot(changes, plan.removed, report, confirmedAt, false);
      if (job.cacheFile !== undefined) {
        const whole = [...held].map(([path, { object }]) => ({ path, object }));
        await keepCopy(context, async () => {
          cachedDigest = await storeSnapshot(job.cacheFile!, { ...job, prefix }, whole, confirmedAt);
        });
      }
      collectGarbage(); // the responses' chunks, copied into the bodies
      return 'succeeded';
    } catch (error) {
      // Aborted means the main thread asked us to stop: that is not a failure to report.
      if (signal.aborted) return 'stop';
      const { operation, failure: cause } =
        error instanceof StoreRequestFailed ? error : { operation: { kind: 'list', prefix } as StoreOperation, failure: error };
      const failure = describeFetchError(cause, job, operation);
      // A race is no failure of the store: retried whatever the mode, the snapshot held stays served.
      const raced = cause instanceof SnapshotChangedError;
      const retrying = raced || (staleMode && (holdsSnapshot || (await serveSnapshotFromDisk())));
      post({ type: 'failed', failure, durationMs: durationMs(), answers, retrying });
      return retrying ? 'retry' : 'stop';
    }
  };
}
