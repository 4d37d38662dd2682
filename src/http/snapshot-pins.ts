// Serving thread. Skew protection (SKEW_PROTECTION): a browser that loaded a page from snapshot N
// gets that page's assets from N too, whichever replica answers and whenever. An HTML document sent
// to a navigation (or to a request without a pin) sets the cookie `snapshot_id`; a later request
// that is not a navigation and carries it (or a `Snapshot-Id` header) is answered from that
// snapshot while this thread retains it; one it does not hold makes the replica refresh at once
// (the main thread bounds that) and waits up to 2 s for it. Each thread retains the snapshots the
// main thread names with each update, so every thread holds the same ones.
import type { IncomingMessage } from 'node:http';
import { pinOutcomes, type PinOutcome, type RetainedSnapshot } from '../serving-protocol.ts';
import { isNavigation } from './negotiation.ts';
import type { Snapshot } from './snapshot.ts';

/** The snapshot a thread serves, and those it retains. */
export interface SnapshotSource {
  readonly current: Snapshot;
  /** A snapshot current within SKEW_PROTECTION and still retained. */
  retained(id: string): Snapshot | undefined;
}

/** The snapshot `id` names, current or retained, where `source` holds it. */
export function heldSnapshot(source: SnapshotSource, id: string): Snapshot | undefined {
  const current = source.current;
  return current.id === id ? current : source.retained(id);
}

export interface SkewProtection {
  /** SKEW_PROTECTION in seconds: the cookie's Max-Age. */
  maxAgeSeconds: number;
  /** Asks for a refresh that may bring `pin`; resolves once it is done, or at once where the main thread declines. */
  catchUp(pin: string): Promise<void>;
  count(outcome: PinOutcome): void;
}

/**
 * How an answer from a snapshot is sent: `named` (`Snapshot-Id` and its id) goes on every answer,
 * the cookie on an HTML document, and one from a snapshot other than the current one is private.
 */
export interface ServedFrom {
  named: readonly string[];
  cookie: string | undefined;
  retained: boolean;
}

/** An answer's headers without a setHeader(): the list, private where it comes from a retained snapshot, then what names the snapshot. */
export function answerHeaders(list: readonly string[], from: ServedFrom, extra: readonly string[] = from.named): string[] {
  return (from.retained ? privately(list) : list).concat(extra);
}

/** `Cache-Control` for an answer from a snapshot other than the current one: no shared cache may keep it. */
function privately(headers: readonly string[]): string[] {
  const copy = [...headers];
  const at = copy.indexOf('Cache-Control');
  if (at !== -1) copy[at + 1] = `private, ${copy[at + 1]!.replace(/\b(public|s-maxage=\d+)\s*,?\s*/gi, '')}`.replace(/,\s*$/, '');
  return copy;
}

/** For answers that are not an object's (404, 301 to a folder, 400): the slower setHeader, on rare answers only. */
export function nameSnapshot(res: { setHeader(name: string, value: string): unknown }, from: ServedFrom): void {
  res.setHeader(from.named[0]!, from.named[1]!);
}

const catchUpWaitMs = 2_000;

/** Counts a thread's pinned requests into its row of the shared pin counters. */
export function pinCounter(memory: SharedArrayBuffer, thread: number): (outcome: PinOutcome) => void {
  const row = new Float64Array(memory, thread * pinOutcomes.length * Float64Array.BYTES_PER_ELEMENT, pinOutcomes.length);
  return (outcome) => void row[pinOutcomes.indexOf(outcome)]!++;
}
const validId = /^[0-9a-f]{16}$/;

/** Every retained snapshot of this thread, by id, until the time the main thread gave it. */
export class RetainedSnapshots {
  #byId = new Map<string, { snapshot: Snapshot; until: number }>();

  /** After a swap: `previous` stopped being current; exactly `retain` stay held. */
  update(previous: Snapshot | undefined, retain: readonly RetainedSnapshot[]): void {
    const kept = new Map<string, { snapshot: Snapshot; until: number }>();
    for (const { id, until } of retain) {
      const snapshot = previous?.id === id ? previous : this.#byId.get(id)?.snapshot;
      if (snapshot !== undefined) kept.set(id, { snapshot, until });
    }
    this.#byId = kept;
  }

  get(id: string): Snapshot | undefined {
    const entry = this.#byId.get(id);
    return entry !== undefined && entry.until > Date.now() ? entry.snapshot : undefined;
  }
}

/** The pin a request carries: a `Snapshot-Id` header, else the `snapshot_id` cookie. */
export function pinOf(req: IncomingMessage): string | undefined {
  const header = req.headers['snapshot-id'];
  if (typeof header === 'string') return header.trim();
  return /(?:^|;\s*)snapshot_id=([^;\s]*)/.exec(req.headers.cookie ?? '')?.[1];
}

function cookieFor(snapshot: Snapshot, skew: SkewProtection, req: IncomingMessage): string {
  const secure = req.headers['x-forwarded-proto'] === 'https' ? '; Secure' : '';
  return `snapshot_id=${snapshot.id}; Path=/; Max-Age=${skew.maxAgeSeconds}; HttpOnly; SameSite=Lax${secure}`;
}

/**
 * Serves a request from the snapshot its pin names, where one applies; `serve` answers from a
 * snapshot and returns the status, or undefined where the answer comes later.
 */
export function servePinned(
  source: SnapshotSource,
  skew: SkewProtection,
  req: IncomingMessage,
  serve: (snapshot: Snapshot, from: ServedFrom) => number,
  done: (status: number) => void,
): number | undefined {
  const current = source.current;
  const pin = isNavigation(req.headers['sec-fetch-mode'], req.headers.accept) ? undefined : pinOf(req);
  if (pin === undefined || pin === current.id) {
    return serve(current, pin === undefined ? { ...current.served, cookie: cookieFor(current, skew, req) } : current.served);
  }
  const held = source.retained(pin);
  if (held !== undefined) {
    skew.count('held');
    return serve(held, { ...held.served, retained: true });
  }
  if (!validId.test(pin)) {
    skew.count('missed');
    return serve(current, current.served);
  }
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, catchUpWaitMs).unref());
  void Promise.race([skew.catchUp(pin), timeout]).then(() => {
    const now = source.current;
    const caughtUp = heldSnapshot(source, pin);
    skew.count(caughtUp === undefined ? 'missed' : 'caught_up');
    done(serve(caughtUp ?? now, { ...(caughtUp ?? now).served, retained: caughtUp !== undefined && caughtUp !== now }));
  });
  return undefined;
}
