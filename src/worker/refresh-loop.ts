// Fetch worker. When to fetch: once at start, then at a fixed rate (start + n × interval, so the schedule never
// drifts), and on demand. Never two fetches at once: a slot that falls during a fetch is skipped;
// an on-demand request during a fetch runs right after it, so it sees changes made meanwhile.
import { performance } from 'node:perf_hooks';

/** Milliseconds from `now` to the next slot strictly after it. */
export function delayToNextSlot(startedAt: number, intervalMs: number, now: number): number {
  const elapsed = Math.max(0, now - startedAt);
  return intervalMs - (elapsed % intervalMs);
}

/** One fetch; resolves false to end the loop (after a failure). */
export type FetchOnce = (signal: AbortSignal) => Promise<boolean>;

export class RefreshLoop {
  private readonly fetchOnce: FetchOnce;
  private readonly intervalMs: number;
  private readonly startedAt = performance.now();
  private inFlight: AbortController | undefined;
  private queued = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

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
    if (this.inFlight === undefined) void this.run();
    else this.queued = true;
  }

  /** Cancels the fetch in flight (its signal aborts) and every later one. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.inFlight?.abort();
  }

  private scheduleNextSlot(): void {
    this.timer = setTimeout(
      () => {
        this.scheduleNextSlot();
        if (this.inFlight === undefined) void this.run();
      },
      delayToNextSlot(this.startedAt, this.intervalMs, performance.now()),
    );
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    const controller = new AbortController();
    this.inFlight = controller;
    const keepGoing = await this.fetchOnce(controller.signal);
    this.inFlight = undefined;
    if (!keepGoing) this.stop();
    else if (this.queued) {
      this.queued = false;
      void this.run();
    }
  }
}
