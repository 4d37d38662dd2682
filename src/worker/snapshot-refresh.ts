// Fetch worker. One refresh, in both modes: the discovery finds what changed (one key, a marker, a
// listing: src/worker/change-discovery.ts), and everything after it happens here once. Each new or
// changed object is prepared (digests, compressed forms); the next snapshot is posted
// once, as what changed, for every thread to swap in whole; CACHE_FILE keeps it.
//
// By default the worker stops after the first failure: the main thread exits and the supervisor
// restarts the process. With STALE_IF_ERROR it retries with back-off once there is a snapshot to
// fall back on (one fetched, or CACHE_FILE at start-up); the main thread enforces the bound. A
// snapshot that changed while it was fetched is retried whatever the mode: the one held stays
// served, whole.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { FetchedObject, SnapshotChange } from '../protocol.ts';
import { afterFetch } from '../shared/memory-policy.ts';
import { CacheFileError, confirmSnapshot, readSnapshot, storeSnapshot } from './cache-file.ts';
import { StoreRequestFailed, type ChangeDiscovery } from './change-discovery.ts';
import { describeFetchError } from './fetch-failure.ts';
import { lastModifiedIsStrong } from './last-modified.ts';
import { FallbackDocumentMissingError, SnapshotChangedError } from './object-errors.ts';
import type { FetchOnce } from './refresh-loop.ts';
import { encodedVariants, sha256Of } from './representations.ts';
import type { StoreObject } from './s3-object-source.ts';
import { keepCopy, warn, type WorkerContext } from './worker-context.ts';

/**
 * The snapshot's id: a digest of its keys and their ETags (the body's digest where a store sends no
 * ETag), so that every replica holding the same set names it the same without asking the others.
 */
export function snapshotIdOf(held: ReadonlyMap<string, FetchedObject>, keyPrefix: string): string {
  const digest = createHash('sha256');
  for (const path of [...held.keys()].sort()) {
    const object = held.get(path)!;
    digest.update(`${keyPrefix}${path}\t${object.etag ?? `sha256:${object.sha256}`}\n`);
  }
  return digest.digest('hex').slice(0, 16);
}

export function createSnapshotRefresh(context: WorkerContext, discovery: ChangeDiscovery): FetchOnce {
  const { job, post } = context;
  const staleMode = job.staleIfErrorMs > 0;
  /** The snapshot the main thread holds; empty until the first one is posted. */
  const held = new Map<string, FetchedObject>();
  /** The digest of the snapshot in CACHE_FILE, for the confirmation of unchanged refreshes. */
  let cachedDigest: string | undefined;
  /** Of the refresh in progress: the time spent on digests and compression, summed over its objects. */
  let preparedMs = 0;

  /** A redirect the service can serve: a path on this site, or an absolute http(s) URL; anything else is warned about and left out. */
  function servableRedirect(path: string, location: string | undefined): string | undefined {
    if (location === undefined || /^\/(?!\/)/.test(location) || /^https?:\/\/[^\s/]/i.test(location)) return location;
    const key = job.prefix === undefined ? job.key : job.prefix + path;
    warn(context, 'RedirectIgnored', `s3://${job.bucket}/${key}: its x-amz-website-redirect-location ${JSON.stringify(location)} is neither a path on this site nor an http(s) URL; it is served as an object`);
    return undefined;
  }

  async function prepare(path: string, object: StoreObject, sha256 = sha256Of(new Uint8Array(object.body))): Promise<FetchedObject> {
    const startedAt = performance.now();
    const prepared = {
      ...object,
      redirectLocation: servableRedirect(path, object.redirectLocation),
      sha256,
      // The version held before is the one whose date this one's is compared with.
      lastModifiedStrong: lastModifiedIsStrong(held.get(path), object.lastModified, sha256),
      variants: await encodedVariants(object.body, object.contentType, job),
    };
    preparedMs += performance.now() - startedAt;
    return prepared;
  }

  type Report = { durationMs: number; answers: number; listPages: number };
  function postChanged(changes: SnapshotChange[], removed: string[], report: Report, confirmedAt: number, fromCacheFile: boolean) {
    for (const path of removed) held.delete(path);
    for (const { path, object } of changes) held.set(path, object);
    const snapshotId = snapshotIdOf(held, job.prefix ?? job.key);
    post({ type: 'changed', snapshotId, changes, removed, ...report, prepareMs: Math.round(preparedMs), confirmedAt, fromCacheFile });
  }

  /** At start-up, with the store failing: the snapshot on disk, if intact, ours and fresh enough. */
  async function serveSnapshotFromDisk(): Promise<boolean> {
    if (job.cacheFile === undefined) return false;
    try {
      const stored = await readSnapshot(job.cacheFile, job);
      const ageMs = Date.now() - stored.confirmedAt;
      if (ageMs >= job.staleIfErrorMs) {
        throw new CacheFileError(`its snapshot was last confirmed ${Math.round(ageMs / 1000)} s ago, beyond STALE_IF_ERROR`);
      }
      preparedMs = 0;
      const changes = await Promise.all(stored.objects.map(async ({ path, object, sha256 }) => ({ path, object: await prepare(path, object, sha256) })));
      cachedDigest = stored.digest;
      postChanged(changes, [], { durationMs: Math.round(preparedMs), answers: 0, listPages: 0 }, stored.confirmedAt, true);
      return true;
    } catch (error) {
      if (!(error instanceof CacheFileError)) throw error;
      warn(context, 'CacheFileUnusable', `CACHE_FILE ${job.cacheFile} is not served: ${error.message}`);
      return false;
    }
  }

  /** Throws (a failed refresh) when the next snapshot lacks FALLBACK_DOCUMENT. */
  function refuseWithoutFallback(changes: readonly SnapshotChange[], removed: readonly string[]): void {
    const fallback = job.fallbackDocument;
    if (fallback === undefined || changes.some(({ path }) => path === fallback)) return;
    if (!held.has(fallback) || removed.includes(fallback)) throw new FallbackDocumentMissingError(job.prefix + fallback);
  }

  async function keepInCacheFile(changed: boolean, confirmedAt: number): Promise<void> {
    const path = job.cacheFile;
    if (path === undefined) return;
    if (changed) {
      const whole = [...held].map(([objectPath, object]) => ({ path: objectPath, object }));
      await keepCopy(context, async () => {
        cachedDigest = await storeSnapshot(path, job, whole, confirmedAt);
      });
    } else if (cachedDigest !== undefined) {
      const digest = cachedDigest;
      await keepCopy(context, () => confirmSnapshot(path, digest, confirmedAt));
    }
  }

  return async (signal, answers) => {
    const startedAt = performance.now();
    const durationMs = () => Math.round(performance.now() - startedAt);
    preparedMs = 0;
    try {
      const discovered = await discovery.discover(held, prepare, signal);
      if (discovered.kind === 'changed') refuseWithoutFallback(discovered.changes, discovered.removed);
      const confirmedAt = Date.now();
      const report = { durationMs: durationMs(), answers, listPages: discovered.listPages };
      if (discovered.kind === 'unchanged') post({ type: 'unchanged', ...report });
      else postChanged(discovered.changes, discovered.removed, report, confirmedAt, false);
      await keepInCacheFile(discovered.kind === 'changed', confirmedAt);
      afterFetch(discovered.kind);
      return 'succeeded';
    } catch (error) {
      // Aborted means the main thread asked us to stop: that is not a failure to report.
      if (signal.aborted) return 'stop';
      const { operation, failure: cause } = error instanceof StoreRequestFailed ? error : { operation: discovery.asked, failure: error };
      const failure = describeFetchError(cause, job, operation);
      const raced = cause instanceof SnapshotChangedError;
      const retrying = raced || (staleMode && (held.size > 0 || (await serveSnapshotFromDisk())));
      post({ type: 'failed', failure, durationMs: durationMs(), answers, retrying });
      afterFetch('failed');
      return retrying ? 'retry' : 'stop';
    }
  };
}
