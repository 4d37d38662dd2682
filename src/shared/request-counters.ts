// Main thread and serving threads. Requests answered, by status code, counted by every thread that
// serves, in shared memory: each thread writes only its own row (no locks, no messages on the hot
// path), and the main thread sums the rows when /-/metrics is scraped.

/** Status codes 0-599, one row per serving thread. */
const codes = 600;

export function requestCounterMemory(threads: number): SharedArrayBuffer {
  // Float64: exact to 2^53, where 32-bit counters would wrap within a day at 50k requests a second.
  return new SharedArrayBuffer(threads * codes * Float64Array.BYTES_PER_ELEMENT);
}

/** One thread's row. */
export class RequestCounter {
  private readonly row: Float64Array;

  constructor(memory: SharedArrayBuffer, thread: number) {
    this.row = new Float64Array(memory, thread * codes * Float64Array.BYTES_PER_ELEMENT, codes);
  }

  count(status: number): void {
    this.row[status]!++;
  }
}

/** Requests by status code, summed over every thread, and each thread's total. */
export function countedRequests(memory: SharedArrayBuffer): { byStatus: Map<number, number>; byThread: number[] } {
  const all = new Float64Array(memory);
  const byStatus = new Map<number, number>();
  const byThread: number[] = [];
  for (let thread = 0; thread * codes < all.length; thread++) {
    let total = 0;
    for (let status = 0; status < codes; status++) {
      const count = all[thread * codes + status]!;
      if (count === 0) continue;
      total += count;
      byStatus.set(status, (byStatus.get(status) ?? 0) + count);
    }
    byThread.push(total);
  }
  return { byStatus, byThread };
}
