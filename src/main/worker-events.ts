// Main thread. What the main thread does with each thing the fetch worker reports: swap in a new
// version, count, log, answer refresh requests, and decide the process's fate on a failure (exit 1
// by default, after draining what is in flight; with STALE_IF_ERROR, keep serving until the bound).
import { toCachedObject, type CachedObject } from '../http/cached-object.ts';
import { nextSnapshot, type Snapshot } from '../http/snapshot.ts';
import type { SnapshotUpdate } from '../serving-protocol.ts';
import { releaseDeadBuffer, releaseStartUpMemory } from '../shared/release-memory.ts';
import type { Config } from './config.ts';
import { ExitCode } from './exit-codes.ts';
import type { FetchWorkerEvents } from './fetch-worker-handle.ts';
import type { Logger } from './logger.ts';
import type { ServiceMetrics } from './metrics.ts';
import type { ProcessFate } from './process-fate.ts';
import type { FetchedObject } from '../protocol.ts';
import type { RefreshRequests } from './refresh-requests.ts';
import { createStalenessBound } from './staleness-bound.ts';

export interface WorkerEventsContext {
  config: Config;
  cacheControl: string;
  cache: { current?: CachedObject };
  /** Prefix mode's snapshot, instead of `cache`. */
  site: { current?: Snapshot };
  logger: Logger;
  metrics: ServiceMetrics;
  fate: ProcessFate;
  refreshRequests: RefreshRequests;
  /** Each new version, after the main thread's own cache took it (for the serving threads). */
  newVersion: (object: FetchedObject) => void;
  /** Each next snapshot, before the main thread swaps it in: the serving threads get it and its generation is published. */
  newSnapshot: (update: SnapshotUpdate) => void;
  firstObjectArrived: () => void;
}

export function workerEvents(context: WorkerEventsContext): FetchWorkerEvents {
  const { config, cacheControl, cache, site, logger, metrics, fate, refreshRequests } = context;
  const object = config.prefix === undefined ? { bucket: config.bucket, key: config.key } : { bucket: config.bucket, prefix: config.prefix };
  let lastFailure: string | undefined;

  const bound =
    config.staleIfErrorMs > 0
      ? createStalenessBound(config.staleIfErrorMs, () => {
          logger.error(
            { ...object, staleIfErrorMs: config.staleIfErrorMs },
            `no successful fetch for STALE_IF_ERROR=${config.staleIfErrorMs} ms; exiting; last failure: ${lastFailure ?? 'none'}`,
          );
          fate.failWhileServing(ExitCode.fetchFailed);
        })
      : undefined;

  const current = () =>
    site.current === undefined
      ? { etag: cache.current?.identity.etag, size: cache.current?.identity.body.byteLength ?? 0 }
      : { etag: undefined, size: site.current.bytes, objects: site.current.objects.size };

  return {
    changed({ object: fetched, durationMs, prepareMs, answers, confirmedAt, fromCacheFile }) {
      const previous = cache.current;
      const prepared = toCachedObject(fetched, cacheControl);
      for (const problem of prepared.dropped) logger.warn({ ...object, etag: fetched.etag }, problem);
      cache.current = prepared.object;
      context.newVersion(fetched);
      const size = fetched.body.byteLength;
      if (fromCacheFile) metrics.servingCopyFromDisk(size, confirmedAt);
      else metrics.refreshChanged(size);
      bound?.confirmed(confirmedAt);
      logger.info(
        {
          ...object,
          etag: fetched.etag,
          size,
          integrity: fetched.integrity,
          encodings: Object.fromEntries(fetched.variants.map(({ encoding, body }) => [encoding, body.byteLength])),
          ...(previous && { previousEtag: previous.identity.etag, previousSize: previous.identity.body.byteLength }),
          ...(fromCacheFile && { confirmedAt: new Date(confirmedAt).toISOString() }),
          durationMs,
          prepareMs,
        },
        fromCacheFile ? 'object loaded from CACHE_FILE' : previous ? 'object changed' : 'object fetched',
      );
      refreshRequests.answer(answers, { outcome: 'changed', ...current() });
      if (previous) releaseDeadBuffer(previous.heldBytes);
      else context.firstObjectArrived();
    },
    snapshot({ changes, removed, listPages, durationMs, prepareMs, answers, confirmedAt, fromCacheFile }) {
      const previous = site.current;
      const update = { generation: (previous?.generation ?? 0) + 1, changes, removed };
      const next = nextSnapshot(previous, update, cacheControl);
      for (const problem of next.dropped) logger.warn(object, problem);
      context.newSnapshot(update);
      site.current = next.snapshot;
      const { bytes, heldBytes } = next.snapshot;
      const objects = next.snapshot.objects.size;
      if (fromCacheFile) metrics.servingCopyFromDisk(bytes, confirmedAt, objects);
      else metrics.snapshotChanged({ bytes, objects, fetched: changes.length, listPages });
      bound?.confirmed(confirmedAt);
      logger.info(
        {
          ...object,
          objects,
          bytes,
          heldBytes,
          changed: changes.length,
          removed: removed.length,
          listPages,
          ...(fromCacheFile && { confirmedAt: new Date(confirmedAt).toISOString() }),
          durationMs,
          prepareMs,
        },
        fromCacheFile ? 'snapshot loaded from CACHE_FILE' : previous ? 'snapshot changed' : 'snapshot fetched',
      );
      refreshRequests.answer(answers, { outcome: 'changed', ...current() });
      if (previous === undefined) {
        releaseStartUpMemory(); // the first snapshot's message and building, before anything is served
        context.firstObjectArrived();
      } else if (next.releasedBytes > 0) releaseDeadBuffer(next.releasedBytes);
    },
    unchanged({ durationMs, answers, listPages }) {
      metrics.refreshUnchanged(listPages);
      bound?.confirmed(Date.now());
      logger.debug({ ...object, etag: cache.current?.identity.etag, durationMs }, 'object unchanged');
      refreshRequests.answer(answers, { outcome: 'unchanged', ...current() });
    },
    failed({ failure, answers, retrying }) {
      metrics.refreshFailed();
      lastFailure = failure.message;
      const fields = { ...object, code: failure.code, httpStatus: failure.httpStatus };
      // Answered before any stop begins: a POST /refresh waiting for it is in flight, and the
      // drain below finishes it.
      refreshRequests.answer(answers, { outcome: 'failed', error: failure.message });
      if (retrying) {
        // STALE_IF_ERROR, or in prefix mode a snapshot that changed while it was fetched.
        logger.warn({ ...fields, ...(config.staleIfErrorMs > 0 && { staleFor: 'STALE_IF_ERROR' }) }, failure.message);
        return;
      }
      logger.error(fields, failure.message);
      bound?.stop();
      // Nothing served yet (the first fetch failed): nothing to drain.
      if (cache.current === undefined && site.current === undefined) fate.end(ExitCode.fetchFailed);
      else fate.failWhileServing(ExitCode.fetchFailed);
    },
    warning({ code, message }) {
      if (code === 'CacheFileWriteFailed') metrics.cacheFileWriteFailed();
      logger.warn({ ...object, code }, message);
    },
  };
}
