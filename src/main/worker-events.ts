// Main thread. What the main thread does with each thing the fetch worker reports: swap in the
// next snapshot (in every thread), count, log, answer refresh requests, and decide the process's
// fate on a failure (exit 1 by default, after draining what is in flight; with STALE_IF_ERROR,
// keep serving until the bound).
import { nextSnapshot, type Snapshot } from '../http/snapshot.ts';
import { objectPath } from '../protocol.ts';
import type { SnapshotUpdate } from '../serving-protocol.ts';
import { firstSnapshotBuilt, snapshotReplaced } from '../shared/memory-policy.ts';
import type { Config } from './config.ts';
import { ExitCode } from './exit-codes.ts';
import type { FetchWorkerEvents } from './fetch-worker-handle.ts';
import type { Logger } from './logger.ts';
import type { ServiceMetrics } from './metrics.ts';
import type { ProcessFate } from './process-fate.ts';
import type { RefreshRequests } from './refresh-requests.ts';
import type { Retention } from './skew-protection.ts';
import { createStalenessBound } from './staleness-bound.ts';

export interface WorkerEventsContext {
  config: Config;
  cacheControl: string;
  logger: Logger;
  metrics: ServiceMetrics;
  fate: ProcessFate;
  refreshRequests: RefreshRequests;
  /** Each next snapshot, before the main thread swaps it in: the serving threads get it and its generation is published. */
  publish: (update: SnapshotUpdate) => void;
  /** SKEW_PROTECTION's choice of the snapshots kept besides the current one. */
  retention: Retention;
  /** Each next snapshot, once published: the main thread serves it from now on (the first opens the ports). */
  swapIn: (snapshot: Snapshot) => void;
}

/** What the log lines and refresh answers say of a snapshot: one-object mode names its object. */
function describeFor(config: Config) {
  if (config.prefix !== undefined) {
    return {
      source: { bucket: config.bucket, prefix: config.prefix },
      noun: 'snapshot',
      details: () => ({}),
      outcome: (snapshot: Snapshot | undefined) => ({ etag: undefined, size: snapshot?.bytes ?? 0, objects: snapshot?.objects.size ?? 0 }),
    };
  }
  const entry = (snapshot: Snapshot | undefined) => snapshot?.objects.get(objectPath);
  return {
    source: { bucket: config.bucket, key: config.key },
    noun: 'object',
    details: (snapshot: Snapshot, previous: Snapshot | undefined, integrity: string | undefined) => {
      const { identity, representations } = entry(snapshot)!;
      const before = entry(previous)?.identity;
      return {
        etag: identity.etag,
        size: identity.body.byteLength,
        integrity,
        encodings: Object.fromEntries(representations.slice(1).map(({ encoding, body }) => [encoding, body.byteLength])),
        ...(before && { previousEtag: before.etag, previousSize: before.body.byteLength }),
      };
    },
    outcome: (snapshot: Snapshot | undefined) => ({ etag: entry(snapshot)?.identity.etag, size: snapshot?.bytes ?? 0 }),
  };
}

export function workerEvents(context: WorkerEventsContext): FetchWorkerEvents {
  const { config, cacheControl, logger, metrics, fate, refreshRequests, retention } = context;
  let current: Snapshot | undefined;
  const describe = describeFor(config);
  const { source } = describe;
  let lastFailure: string | undefined;

  const bound =
    config.staleIfErrorMs > 0
      ? createStalenessBound(config.staleIfErrorMs, () => {
          logger.error(
            { ...source, staleIfErrorMs: config.staleIfErrorMs },
            `no successful fetch for STALE_IF_ERROR=${config.staleIfErrorMs} ms; exiting; last failure: ${lastFailure ?? 'none'}`,
          );
          fate.failWhileServing(ExitCode.fetchFailed);
        })
      : undefined;

  const answer = (count: number, outcome: 'changed' | 'unchanged') => refreshRequests.answer(count, { outcome, ...describe.outcome(current) });

  return {
    changed({ snapshotId, changes, removed, listPages, durationMs, prepareMs, answers, confirmedAt, fromCacheFile }) {
      const previous = current;
      const built = { generation: (previous?.generation ?? 0) + 1, id: snapshotId, changes, removed };
      const next = nextSnapshot(previous, built, cacheControl);
      for (const problem of next.dropped) logger.warn(source, problem);
      context.publish({ ...built, retain: retention.next(previous, next.snapshot) });
      metrics.retainedSnapshots(retention.count, retention.extraBytes);
      const snapshot = (current = next.snapshot);
      context.swapIn(snapshot);
      const { bytes, heldBytes } = snapshot;
      const objects = snapshot.objects.size;
      if (fromCacheFile) metrics.servingCopyFromDisk(bytes, confirmedAt, objects);
      else metrics.snapshotChanged({ bytes, objects, fetched: changes.length, listPages });
      metrics.servingSnapshot(snapshotId);
      bound?.confirmed(confirmedAt);
      logger.info(
        {
          ...source,
          ...describe.details(snapshot, previous, changes[0]?.object.integrity),
          snapshotId,
          ...(previous && { previousSnapshotId: previous.id }),
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
        fromCacheFile ? `${describe.noun} loaded from CACHE_FILE` : previous ? `${describe.noun} changed` : `${describe.noun} fetched`,
      );
      answer(answers, 'changed');
      if (previous === undefined) firstSnapshotBuilt(objects);
      else snapshotReplaced(next.releasedBytes);
    },
    unchanged({ durationMs, answers, listPages }) {
      metrics.refreshUnchanged(listPages);
      bound?.confirmed(Date.now());
      logger.debug({ ...source, durationMs }, `${describe.noun} unchanged`);
      answer(answers, 'unchanged');
    },
    failed({ failure, answers, retrying }) {
      metrics.refreshFailed();
      lastFailure = failure.message;
      const fields = { ...source, code: failure.code, httpStatus: failure.httpStatus };
      // Answered before any stop begins: a POST /refresh waiting for it is in flight, and the
      // drain below finishes it.
      refreshRequests.answer(answers, { outcome: 'failed', error: failure.message });
      if (retrying) {
        // STALE_IF_ERROR, or a snapshot that changed while it was fetched.
        logger.warn({ ...fields, ...(config.staleIfErrorMs > 0 && { staleFor: 'STALE_IF_ERROR' }) }, failure.message);
        return;
      }
      logger.error(fields, failure.message);
      bound?.stop();
      // Nothing served yet (the first fetch failed): nothing to drain.
      if (current === undefined) fate.end(ExitCode.fetchFailed);
      else fate.failWhileServing(ExitCode.fetchFailed);
    },
    warning({ code, message }) {
      if (code === 'CacheFileWriteFailed') metrics.cacheFileWriteFailed();
      logger.warn({ ...source, code }, message);
    },
  };
}
