// Main thread. Prometheus metrics. Request counting sits on the hot path of every serving thread,
// so it is an increment in shared memory (src/shared/request-counters.ts); prom-client reads the
// counters only when scraped. Nothing here changes when scraped: two scrapers (or an outside
// client) see the same cumulative series.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Metric } from 'prom-client';
// One by one: prom-client's index also loads its Pushgateway and cluster aggregator, and with them
// node:https, node:zlib and node:cluster (docs/memory.md).
import Counter from 'prom-client/lib/counter.js';
import eventLoopLag from 'prom-client/lib/metrics/eventLoopLag.js';
import gcDurations from 'prom-client/lib/metrics/gc.js';
import heapSizeAndUsed from 'prom-client/lib/metrics/heapSizeAndUsed.js';
import heapSpacesSizeAndUsed from 'prom-client/lib/metrics/heapSpacesSizeAndUsed.js';
import osMemoryHeap from 'prom-client/lib/metrics/osMemoryHeap.js';
import processCpuTotal from 'prom-client/lib/metrics/processCpuTotal.js';
import processMaxFileDescriptors from 'prom-client/lib/metrics/processMaxFileDescriptors.js';
import processOpenFileDescriptors from 'prom-client/lib/metrics/processOpenFileDescriptors.js';
import processStartTime from 'prom-client/lib/metrics/processStartTime.js';
import nodeVersion from 'prom-client/lib/metrics/version.js';
import Gauge from 'prom-client/lib/gauge.js';
import Registry from 'prom-client/lib/registry.js';
import { pinOutcomes } from '../serving-protocol.ts';
import { RequestCounter, countedRequests, requestCounterMemory } from '../shared/request-counters.ts';
import { cgroupLimit } from './cgroup-limits.ts';

const prefix = 's3_object_cache_';

/**
 * prom-client's default metrics, but for nodejs_active_{handles,requests,resources}(_total): gauges
 * named like counters, which `promtool check metrics` rejects, and of no use for this service.
 */
const defaultMetrics = [
  processCpuTotal,
  processStartTime,
  osMemoryHeap,
  processOpenFileDescriptors,
  processMaxFileDescriptors,
  eventLoopLag,
  heapSizeAndUsed,
  heapSpacesSizeAndUsed,
  nodeVersion,
  gcDurations,
];
/** Sampling interval of the event-loop delay histogram. */
const delayResolutionMs = 10;
/** The window of the event-loop delay p99 that alerts read: a since-start quantile moves too slowly. */
const delayWindowMs = 60_000;

export interface MetricsOptions {
  /** Threads serving HTTP, the main thread included. */
  servingThreads?: number;
  /** REFRESH_INTERVAL, exported so that alerts can compare the object's age with it. */
  refreshIntervalMs?: number;
  /** The cgroup's memory limit, exported so that alerts can compare RSS with it; undefined: none. */
  memoryLimitBytes?: number | undefined;
  now?: () => number;
}

export class ServiceMetrics {
  readonly registry = new Registry();
  /** Requests answered by each serving thread (row 0: the main thread), by status code. */
  readonly requestCounters: SharedArrayBuffer;
  private readonly ownRequests: RequestCounter;
  private lastSuccessAt: number | undefined;
  private objectSize = 0;
  private snapshotObjects = 0;
  private stale = false;
  private snapshotId: string | undefined;
  private retained = { count: 0, extraBytes: 0 };
  /** SKEW_PROTECTION: pinned requests by outcome, one row of three per serving thread. */
  readonly pinCounters: SharedArrayBuffer;
  private readonly now: () => number;

  private readonly attempts = this.counter(
    'refresh_attempts_total',
    'Refreshes of the snapshot from the store, including the first one at start-up.',
  );
  private readonly successes = this.counter(
    'refresh_successes_total',
    'Refreshes that succeeded, with a new snapshot or unchanged.',
  );
  private readonly unchanged = this.counter(
    'refresh_unchanged_total',
    'Successful refreshes that found nothing changed (a 304, or a listing like the snapshot held).',
  );
  private readonly failures = this.counter(
    'refresh_failures_total',
    'Refreshes that failed (by default the process exits right after the first one).',
  );
  private readonly listingPages = this.counter(
    'listing_pages_total',
    'Prefix mode: ListObjectsV2 pages read (1000 keys each); 0 per refresh while the snapshot marker is unchanged.',
  );
  private readonly objectsFetched = this.counter(
    'objects_fetched_total',
    'Objects fetched because they were new or changed (unchanged ones cost no GET).',
  );
  private readonly readAccessDenials = this.counter(
    'read_access_denied_total',
    'Requests refused with 401 for want of valid read credentials (READ_AUTH_FILE).',
  );
  private readonly peerPushes = new Counter({
    name: `${prefix}peer_pushes_total`,
    help: 'PEERS: pushes passed on to another replica, by outcome (passed_on, failed).',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly cacheFileWriteFailures = this.counter(
    'cache_file_write_failures_total',
    'Writes of CACHE_FILE that failed (disk full, permissions); the service goes on.',
  );

  constructor({ servingThreads = 1, refreshIntervalMs = 60_000, memoryLimitBytes = cgroupLimit('memory')?.value, now = Date.now }: MetricsOptions = {}) {
    this.now = now;
    this.requestCounters = requestCounterMemory(servingThreads);
    this.pinCounters = new SharedArrayBuffer(servingThreads * pinOutcomes.length * Float64Array.BYTES_PER_ELEMENT);
    this.ownRequests = new RequestCounter(this.requestCounters, 0);
    for (const collect of defaultMetrics) collect(this.registry, { eventLoopMonitoringPrecision: delayResolutionMs });
    const registers = [this.registry];
    this.gaugeReadAtScrape(
      'last_success_timestamp_seconds',
      'Unix time of the last successful refresh.',
      () => (this.lastSuccessAt !== undefined ? this.lastSuccessAt / 1000 : undefined),
    );
    this.gaugeReadAtScrape(
      'age_seconds',
      'Seconds since the snapshot served was last confirmed current by the store.',
      () => (this.lastSuccessAt !== undefined ? (this.now() - this.lastSuccessAt) / 1000 : undefined),
    );
    this.gaugeReadAtScrape(
      'stale',
      '1 while the last refresh failed and the last good snapshot is served (STALE_IF_ERROR), else 0.',
      () => (this.stale ? 1 : 0),
    );
    this.gaugeReadAtScrape(
      'object_size_bytes',
      'Bytes of the snapshot served, all its objects together (bodies as stored).',
      () => this.objectSize,
    );
    this.gaugeReadAtScrape(
      'snapshot_objects',
      'Objects in the snapshot served (1 in one-object mode).',
      () => this.snapshotObjects,
    );
    const snapshotInfo: Gauge<'snapshot_id'> = new Gauge({
      name: `${prefix}snapshot_info`,
      help: 'The snapshot served, by its id (Snapshot-Id): 1 for the current one.',
      labelNames: ['snapshot_id'],
      registers,
      collect: () => {
        snapshotInfo.reset();
        if (this.snapshotId !== undefined) snapshotInfo.set({ snapshot_id: this.snapshotId }, 1);
      },
    });
    this.gaugeReadAtScrape(
      'retained_snapshots',
      'SKEW_PROTECTION: snapshots held besides the current one.',
      () => this.retained.count,
    );
    this.gaugeReadAtScrape(
      'retained_snapshot_bytes',
      "SKEW_PROTECTION: bytes the retained snapshots hold beyond the current one's (bodies as stored).",
      () => this.retained.extraBytes,
    );
    const pinned: Counter<'outcome'> = new Counter({
      name: `${prefix}pinned_requests_total`,
      help: 'SKEW_PROTECTION: requests pinned to a snapshot other than the current one, by outcome (held, caught_up, missed).',
      labelNames: ['outcome'],
      registers,
      collect: () => {
        pinned.reset();
        const all = new Float64Array(this.pinCounters);
        pinOutcomes.forEach((outcome, index) => {
          let sum = 0;
          for (let row = index; row < all.length; row += pinOutcomes.length) sum += all[row]!;
          pinned.inc({ outcome }, sum);
        });
      },
    });
    this.registry.registerMetric(eventLoopDelaySummary());
    this.gaugeReadAtScrape(
      'event_loop_delay_p99_seconds',
      'Main-thread event-loop delay p99 over the last full minute (the first minute: so far); what alerts read.',
      lastMinuteDelayP99(),
    );
    this.gaugeReadAtScrape(
      'refresh_interval_seconds',
      'REFRESH_INTERVAL: a snapshot older than a few of these has missed refreshes.',
      () => refreshIntervalMs / 1000,
    );
    if (memoryLimitBytes !== undefined) {
      this.gaugeReadAtScrape(
        'memory_limit_bytes',
        "The memory limit of the process's cgroup (a container's limit), where there is one.",
        () => memoryLimitBytes,
      );
    }
    const requests: Counter<'code'> = new Counter({
      name: `${prefix}http_requests_total`,
      help: 'HTTP requests answered, by status code.',
      labelNames: ['code'],
      registers,
      collect: () => {
        requests.reset();
        for (const [code, count] of countedRequests(this.requestCounters).byStatus) requests.inc({ code }, count);
      },
    });
    const threadRequests: Counter<'thread'> = new Counter({
      name: `${prefix}http_thread_requests_total`,
      help: 'HTTP requests answered, by serving thread (0: the main thread).',
      labelNames: ['thread'],
      registers,
      collect: () => {
        threadRequests.reset();
        countedRequests(this.requestCounters).byThread.forEach((count, thread) => threadRequests.inc({ thread }, count));
      },
    });
  }

  private counter(name: string, help: string): Counter {
    return new Counter({ name: prefix + name, help, registers: [this.registry] });
  }

  /** A gauge computed when scraped, from state the service keeps anyway; unset while `read` gives undefined. */
  private gaugeReadAtScrape(name: string, help: string, read: () => number | undefined): void {
    const gauge: Gauge = new Gauge({
      name: prefix + name,
      help,
      registers: [this.registry],
      collect: () => {
        const value = read();
        if (value !== undefined) gauge.set(value);
      },
    });
  }

  countRequest(status: number): void {
    this.ownRequests.count(status);
  }

  /** A refresh that swapped in a new snapshot. */
  snapshotChanged({ bytes, objects, fetched, listPages }: { bytes: number; objects: number; fetched: number; listPages: number }): void {
    this.succeeded(listPages);
    this.objectSize = bytes;
    this.snapshotObjects = objects;
    this.objectsFetched.inc(fetched);
  }

  refreshUnchanged(listPages: number): void {
    this.succeeded(listPages);
    this.unchanged.inc();
  }

  private succeeded(listPages: number): void {
    this.attempts.inc();
    this.successes.inc();
    this.listingPages.inc(listPages);
    this.lastSuccessAt = this.now();
    this.stale = false;
  }

  refreshFailed(): void {
    this.attempts.inc();
    this.failures.inc();
    this.stale = true;
  }

  /** A copy read from CACHE_FILE at start-up: served stale, as old as the store's last word on it. */
  servingCopyFromDisk(objectSize: number, confirmedAt: number, objects: number): void {
    this.objectSize = objectSize;
    this.snapshotObjects = objects;
    this.lastSuccessAt = confirmedAt;
    this.stale = true;
  }

  peerPush(outcome: 'passed_on' | 'failed'): void {
    this.peerPushes.inc({ outcome });
  }

  retainedSnapshots(count: number, extraBytes: number): void {
    this.retained = { count, extraBytes };
  }

  servingSnapshot(id: string): void {
    this.snapshotId = id;
  }

  readAccessDenied(count: number): void {
    this.readAccessDenials.inc(count);
  }

  cacheFileWriteFailed(): void {
    this.cacheFileWriteFailures.inc();
  }
}

/** What the main thread's event loop is delayed beyond its sampling interval, in seconds. */
const excessDelay = (nanoseconds: number) => Math.max(0, nanoseconds / 1e6 - delayResolutionMs) / 1000;

/**
 * The p99 of the last full minute, in seconds: a histogram of its own, read and reset once a minute
 * on a timer, never by a scrape (two scrapers see the same value).
 */
function lastMinuteDelayP99(): () => number {
  const window = monitorEventLoopDelay({ resolution: delayResolutionMs });
  window.enable();
  const p99SoFar = () => (window.count === 0 ? 0 : excessDelay(window.percentile(99)));
  let lastFullMinute: number | undefined;
  setInterval(() => {
    lastFullMinute = p99SoFar();
    window.reset();
  }, delayWindowMs).unref();
  return () => lastFullMinute ?? p99SoFar();
}

/**
 * The main thread's event-loop delay since start, as a Prometheus summary. Node's histogram records
 * whole sampling intervals (so prom-client's nodejs_eventloop_lag_* never go below 10 ms); the
 * delay is what exceeds the interval. It is never reset, so a scrape cannot hide a stall from the
 * next scraper: rate(_sum)/rate(_count) gives the mean over any window.
 */
function eventLoopDelaySummary(): Metric {
  const loopDelay = monitorEventLoopDelay({ resolution: delayResolutionMs });
  loopDelay.enable();
  const name = `${prefix}event_loop_delay_seconds`;
  const help = 'Main-thread event-loop delay since start, by quantile (1 = the maximum).';
  const get = async () => {
    const count = loopDelay.count;
    const quantiles = count === 0 ? [] : ([['0.5', 50], ['0.9', 90], ['0.99', 99]] as const);
    return {
      name,
      help,
      type: 'summary' as const,
      aggregator: 'sum' as const,
      values: [
        ...quantiles.map(([quantile, percentile]) => ({ labels: { quantile }, value: excessDelay(loopDelay.percentile(percentile)) })),
        ...(count === 0 ? [] : [{ labels: { quantile: '1' }, value: excessDelay(loopDelay.max) }]),
        { metricName: `${name}_sum`, labels: {}, value: count === 0 ? 0 : excessDelay(loopDelay.mean) * count },
        { metricName: `${name}_count`, labels: {}, value: count },
      ],
    };
  };
  // The registry takes any object with get(); its typings list only prom-client's own classes.
  return { name, help, type: 'summary', aggregator: 'sum', get, reset: () => undefined } as unknown as Metric;
}
