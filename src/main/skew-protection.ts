// Main thread. SKEW_PROTECTION's decisions, which every serving thread follows: which snapshots stay
// held after a swap (each one current within the duration, at most RETAINED_SNAPSHOTS with the
// current one, their bodies counted once against MAX_TOTAL_BYTES, the oldest dropped first), and
// when a pin naming a snapshot this replica does not hold may make it refresh (one refresh in
// flight, shared; at most one a second; ids a refresh did not bring are not tried again for a
// minute), so that pins cannot be turned against the store.
import type { Snapshot } from '../http/snapshot.ts';
import type { RetainedSnapshot } from '../serving-protocol.ts';

export interface RetentionLimits {
  skewMs: number;
  retainedSnapshots: number;
  maxTotalBytes: number;
}

/** Bodies as stored, each entry counted once however many snapshots share it. */
function uniqueBytes(snapshots: readonly Snapshot[]): number {
  const seen = new Set<unknown>();
  let bytes = 0;
  for (const snapshot of snapshots) {
    for (const entry of snapshot.objects.values()) {
      if (seen.has(entry)) continue;
      seen.add(entry);
      bytes += entry.identity.body.byteLength;
    }
  }
  return bytes;
}

export class Retention {
  readonly #limits: RetentionLimits;
  /** Newest first. */
  #retired: Array<{ snapshot: Snapshot; until: number }> = [];
  /** Bytes the retained snapshots hold beyond the current one's. */
  extraBytes = 0;

  constructor(limits: RetentionLimits) {
    this.#limits = limits;
  }

  /** The swap to `next`: `previous` retires now; returns what every thread keeps besides `next`. */
  next(previous: Snapshot | undefined, next: Snapshot, now = Date.now()): RetainedSnapshot[] {
    const { skewMs, retainedSnapshots, maxTotalBytes } = this.#limits;
    if (skewMs === 0) return [];
    if (previous !== undefined) this.#retired.unshift({ snapshot: previous, until: now + skewMs });
    this.#retired = this.#retired.filter(({ snapshot, until }) => until > now && snapshot.id !== next.id).slice(0, retainedSnapshots - 1);
    const held = () => uniqueBytes([next, ...this.#retired.map(({ snapshot }) => snapshot)]);
    let bytes = held();
    while (this.#retired.length > 0 && bytes > maxTotalBytes) {
      this.#retired.pop();
      bytes = held();
    }
    this.extraBytes = bytes - next.bytes;
    return this.#retired.map(({ snapshot, until }) => ({ id: snapshot.id, until }));
  }

  get count(): number {
    return this.#retired.length;
  }

  get(id: string, now = Date.now()): Snapshot | undefined {
    return this.#retired.find((retired) => retired.snapshot.id === id && retired.until > now)?.snapshot;
  }
}

const unknownForMs = 60_000;
const rememberedUnknown = 10_000;
const pinRefreshEveryMs = 1_000;

/** How long a request waits for a catch-up (src/http/snapshot-pins.ts waits as long). */
const catchUpBudgetMs = 2_000;

/**
 * Catch-up refreshes for pins this replica does not hold. `refresh` starts (or joins) a refresh and
 * resolves once it is done; `holds` says whether a pin is now current or retained. A pin is
 * remembered as unknown only once a refresh that began after it was asked for succeeded without
 * bringing it: a refresh already under way may predate its deploy. `now`: the clock those times
 * are read from.
 */
export function createCatchUp(
  refresh: () => Promise<{ outcome: string }>,
  holds: (id: string) => boolean,
  now: () => number = Date.now,
): (pin: string) => Promise<void> {
  const unknown = new Map<string, number>();
  let inFlight: { done: Promise<{ outcome: string }>; startedAt: number } | undefined;
  let lastStartedAt = -Infinity;
  return async (pin) => {
    const askedAt = now();
    while (!holds(pin) && (unknown.get(pin) ?? 0) <= now()) {
      if (inFlight !== undefined) {
        const { done, startedAt } = inFlight;
        // A refresh that failed (a deploy racing its listing, say) says nothing of the pin.
        const { outcome } = await done;
        if (startedAt < askedAt || outcome === 'failed' || holds(pin)) continue;
        if (unknown.size >= rememberedUnknown) unknown.clear();
        unknown.set(pin, now() + unknownForMs);
        return;
      }
      const slotIn = lastStartedAt + pinRefreshEveryMs - now();
      if (slotIn > 0) {
        if (now() + slotIn > askedAt + catchUpBudgetMs) return;
        await new Promise((resolve) => setTimeout(resolve, slotIn));
        continue;
      }
      lastStartedAt = now();
      const started = { done: refresh(), startedAt: lastStartedAt };
      inFlight = started;
      void started.done.finally(() => {
        if (inFlight === started) inFlight = undefined;
      });
    }
  };
}
