// Main thread. What the main thread does with each thing the fetch worker reports: swap in a new
// version, count, log, answer refresh requests, and decide the process's fate on a failure (exit 1
// by default, after draining what is in flight; with STALE_IF_ERROR, keep serving until the bound).
import { toCachedObject, type CachedObject } from '../http/cached-object.ts';
import { releaseDeadBuffer } from '../shared/release-memory.ts';
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
  logger: Logger;
  metrics: ServiceMetrics;
  fate: ProcessFate;
  refreshRequests: RefreshRequests;
  /** Each new version, after the main thread's own cache took it (for the serving threads). */
  newVersion: (object: FetchedObject) => void;
  firstObjectArrived: () => void;
}

export function workerEvents(context: WorkerEventsContext): FetchWorkerEvents {
  const { config, cacheControl, cache, logger, metrics, fate, refreshRequests } = context;
  const object = { bucket: config.bucket, key: config.key };
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

  const current = () => ({ etag: cache.current?.identity.etag, size: cache.current?.identity.body.byteLength ?? 0 });

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
    unchanged({ durationMs, answers }) {
      metrics.refreshUnchanged();
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
        logger.warn({ ...fields, staleFor: 'STALE_IF_ERROR' }, failure.message);
        return;
      }
      logger.error(fields, failure.message);
      bound?.stop();
      // Nothing served yet (the first fetch failed): nothing to drain.
      if (cache.current === undefined) fate.end(ExitCode.fetchFailed);
      else fate.failWhileServing(ExitCode.fetchFailed);
    },
    warning({ code, message }) {
      if (code === 'CacheFileWriteFailed') metrics.cacheFileWriteFailed();
      logger.warn({ ...object, code }, message);
    },
  };
}
