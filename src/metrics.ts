// Prometheus metrics. Request counting sits on the hot path, so it is a plain array increment;
// prom-client reads it only when scraped.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

const prefix = 's3_object_cache_';
/** Sampling interval of the event-loop delay histogram. */
const delayResolutionMs = 10;

export class ServiceMetrics {
  readonly registry = new Registry();
  /** Requests answered, indexed by HTTP status code. */
  private readonly requestsByStatus: number[] = new Array(600).fill(0);
  private lastSuccessAt: number | undefined;
  private objectSize = 0;
  private readonly now: () => number;

  private readonly attempts = new Counter({
    name: `${prefix}refresh_attempts_total`,
    help: 'Fetches of the object from the store, including the first one at start-up.',
    registers: [this.registry],
  });
  private readonly successes = new Counter({
    name: `${prefix}refresh_successes_total`,
    help: 'Fetches that succeeded, with new content or unchanged.',
    registers: [this.registry],
  });
  private readonly unchanged = new Counter({
    name: `${prefix}refresh_unchanged_total`,
    help: 'Successful fetches the store answered 304 Not Modified (no body transferred).',
    registers: [this.registry],
  });
  private readonly failures = new Counter({
    name: `${prefix}refresh_failures_total`,
    help: 'Fetches that failed; the process exits right after the first one.',
    registers: [this.registry],
  });

  constructor(now: () => number = Date.now) {
    this.now = now;
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    // Gauges computed at scrape time, from state the service keeps anyway.
    const lastSuccess: Gauge = new Gauge({
      name: `${prefix}last_success_timestamp_seconds`,
      help: 'Unix time of the last successful fetch.',
      registers,
      collect: () => {
        if (this.lastSuccessAt !== undefined) lastSuccess.set(this.lastSuccessAt / 1000);
      },
    });
    const age: Gauge = new Gauge({
      name: `${prefix}age_seconds`,
      help: 'Seconds since the cached object was last confirmed current by the store.',
      registers,
      collect: () => {
        if (this.lastSuccessAt !== undefined) age.set((this.now() - this.lastSuccessAt) / 1000);
      },
    });
    const size: Gauge = new Gauge({
      name: `${prefix}object_size_bytes`,
      help: 'Size of the cached object.',
      registers,
      collect: () => size.set(this.objectSize),
    });
    // Node's histogram records whole sampling intervals (so prom-client's nodejs_eventloop_lag_*
    // never go below 10 ms); the delay is what exceeds the interval.
    const loopDelay = monitorEventLoopDelay({ resolution: delayResolutionMs });
    loopDelay.enable();
    const delay: Gauge<'quantile'> = new Gauge({
      name: `${prefix}event_loop_delay_seconds`,
      help: 'Main-thread event-loop delay since the last scrape, by quantile (1 = the maximum).',
      labelNames: ['quantile'],
      registers,
      collect: () => {
        const excess = (nanoseconds: number) => Math.max(0, nanoseconds / 1e6 - delayResolutionMs) / 1000;
        if (loopDelay.count > 0) {
          delay.set({ quantile: '0.5' }, excess(loopDelay.percentile(50)));
          delay.set({ quantile: '0.99' }, excess(loopDelay.percentile(99)));
          delay.set({ quantile: '1' }, excess(loopDelay.max));
        }
        loopDelay.reset();
      },
    });
    const requests: Counter<'code'> = new Counter({
      name: `${prefix}http_requests_total`,
      help: 'HTTP requests answered, by status code.',
      labelNames: ['code'],
      registers,
      collect: () => {
        requests.reset();
        this.requestsByStatus.forEach((count, code) => {
          if (count > 0) requests.inc({ code }, count);
        });
      },
    });
  }

  countRequest(status: number): void {
    this.requestsByStatus[status]!++;
  }

  refreshChanged(objectSize: number): void {
    this.attempts.inc();
    this.successes.inc();
    this.objectSize = objectSize;
    this.lastSuccessAt = this.now();
  }

  refreshUnchanged(): void {
    this.attempts.inc();
    this.successes.inc();
    this.unchanged.inc();
    this.lastSuccessAt = this.now();
  }

  refreshFailed(): void {
    this.attempts.inc();
    this.failures.inc();
  }
}
