// Fetch worker. When to fetch: once at start, then at a fixed rate (start + n × interval, so the
// schedule never drifts), and on demand. Never two fetches at once: a slot that falls during a
// fetch is skipped; on-demand requests during a fetch share one fetch right after it, so they see
// changes made meanwhile. A failed fetch either ends the loop or, in STALE_IF_ERROR mode, is
// retried with exponential back-off and jitter until a fetch succeeds (slots still fetch too).
import { performance } from 'node:perf_hooks';

/** Milliseconds from `now` to the next slot strictly after it. */
export function delayToNextSlot(startedAt: number, intervalMs: number, now: number): number {
  const elapsed = Math.max(0, now - startedAt);
  return intervalMs - (elapsed % intervalMs);
}

const firstRetryMs = 1_000;

/** Delay before retry number `failures` (1, 2, ...): 1 s doubling, capped, ±25% jitter. */
export function retryDelay(failures: number, capMs: number, random: () => number = Math.random): number {
  const base = Math.min(capMs, firstRetryMs * 2 ** (failures - 1));
  return Math.min(capMs, base * (0.75 + 0.5 * random()));
}

export type FetchOutcome = 'succeeded' | 'retry' | 'stop';

/** One fetch; `answers` is how many on-demand requests it answers (they came before it began). */
export type FetchOnce = (signal: AbortSignal, answers: number) => Promise<FetchOutcome>;

export class RefreshLoop {
  private readonly fetchOnce: FetchOnce;
  private readonly intervalMs: number;
  private readonly startedAt = performance.now();
  private inFlight: AbortController | undefined;
  /** On-demand requests not yet answered by a fetch that began after them. */
  private requested = 0;
  private failures = 0;
  private stopped = false;
  private slotTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(fetchOnce: FetchOnce, intervalMs: number) {
    this.fetchOnce = fetchOnce;
    this.intervalMs = intervalMs;
  }

  start(): void {
    void this.run();
    this.scheduleNextSlot();
  }

  /** Fetch now, or right after the fetch in flight. */
  refreshNow(): void {
    this.requested++;
    if (this.inFlight === undefined) void this.run();
  }

  /** Cancels the fetch in flight (its signal aborts) and every later one. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.slotTimer);
    clearTimeout(this.retryTimer);
    this.inFlight?.abort();
  }

  private scheduleNextSlot(): void {
    this.slotTimer = setTimeout(
      () => {
        this.scheduleNextSlot();
        if (this.inFlight === undefined) void this.run();
      },
      delayToNextSlot(this.startedAt, this.intervalMs, performance.now()),
    );
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    const controller = new AbortController();
    this.inFlight = controller;
    const answers = this.requested;
    this.requested = 0;
    const outcome = await this.fetchOnce(controller.signal, answers);
    this.inFlight = undefined;
    if (outcome === 'stop') {
      this.stop();
      return;
    }
    if (outcome === 'succeeded') this.failures = 0;
    else {
      this.failures++;
      this.retryTimer = setTimeout(() => void this.run(), retryDelay(this.failures, this.intervalMs));
    }
    if (this.requested > 0) void this.run();
  }
}
