// Fixed-rate scheduling: refreshes fall on startedAt + n × interval, whatever each one took,
// so the schedule never drifts; a slot missed while a fetch was still running is skipped.

/** Milliseconds from `now` to the next slot strictly after it. */
export function delayToNextSlot(startedAt: number, intervalMs: number, now: number): number {
  const elapsed = Math.max(0, now - startedAt);
  return intervalMs - (elapsed % intervalMs);
}
