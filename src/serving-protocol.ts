// Main thread and serving threads. What a serving thread is told at start (`workerData`), the
// messages between it and the main thread, which owns the snapshot, readiness, metrics and
// refreshes, and the vocabulary the serving code (src/http/) shares with the main thread.
import type { MessagePort } from 'node:worker_threads';
import type { SnapshotChange } from './protocol.ts';

/** Where and how a listener serves (the main thread's Config has each field). */
export interface ListenJob {
  port: number;
  host: string;
  keepAliveTimeoutMs: number;
  headersTimeoutMs: number;
  maxConnections: number;
}

/**
 * What a refresh on demand (POST /refresh, SIGHUP) came to, as its caller is told: the snapshot's
 * bytes and entries, and in one-object mode the object's ETag.
 */
export type RefreshOutcome =
  | { outcome: 'changed' | 'unchanged'; etag: string | undefined; size: number; objects?: number }
  | { outcome: 'failed'; error: string };

/** Where a refresh on demand came from: the refresh endpoint (passed on to PEERS), a peer passing one on, or this process (SIGHUP, a pin). */
export type RefreshOrigin = 'push' | 'peer' | 'local';

/**
 * A refresh on demand, answered by the first fetch that begins after it was asked for. Its HTTP
 * answer is a response in flight like any other: a failure's drain finishes it before the exit.
 */
export interface RefreshRequest {
  outcome: Promise<RefreshOutcome>;
}

/** One request, for the access log (LOG_LEVEL=debug), which only the main thread writes. */
export interface AccessLogEntry {
  method: string | undefined;
  url: string | undefined;
  status: number;
  durationMs: number;
}

/** How request paths map to a snapshot's entries. */
export type SnapshotPaths =
  /** One-object mode: `/` is the one entry, every other path 404. */
  | { mode: 'object' }
  | {
      mode: 'prefix';
      /** Relative to a folder; undefined: INDEX_DOCUMENT=off. */
      indexDocument: string | undefined;
      /** Relative to the prefix. */
      notFoundDocument: string | undefined;
      /** Relative to the prefix: what a navigation to a path with no object and no folder index gets, with 200. */
      fallbackDocument: string | undefined;
      /** Of the 301s: they are as current as the snapshot. */
      cacheControl: string;
    };

/**
 * The next snapshot, as what changed since the one before (the first: everything), sent to each
 * serving thread on a port of its own before the main thread publishes `generation`
 * (ServingJob.snapshot).
 */
/** What became of a request pinned to a snapshot other than the current one; a thread's row of pin counters is in this order. */
export const pinOutcomes = ['held', 'caught_up', 'missed'] as const;
export type PinOutcome = (typeof pinOutcomes)[number];

/** A snapshot other than the current one that every thread keeps (SKEW_PROTECTION), until `until` (ms since the epoch). */
export interface RetainedSnapshot {
  id: string;
  until: number;
}

export interface SnapshotUpdate {
  generation: number;
  /** The next snapshot's id (src/worker/snapshot-refresh.ts). */
  id: string;
  /** The snapshots kept besides it, newest first; empty without SKEW_PROTECTION. */
  retain: readonly RetainedSnapshot[];
  changes: readonly SnapshotChange[];
  removed: readonly string[];
}

/**
 * READ_AUTH_FILE, parsed by the main thread and handed to every serving thread (at start and at
 * each reload): bcrypt hashes by user name (Basic), and the SHA-256 of each bearer token (base64).
 */
export interface ReadCredentials {
  users: ReadonlyArray<readonly [user: string, bcryptHash: string]>;
  tokenDigests: readonly string[];
}

export interface ServingJob {
  /** Its row in the shared request counters (0 is the main thread's). */
  index: number;
  listen: ListenJob;
  cacheControl: string;
  /** Undefined: the operations endpoints are not on this port (OPS_PORT, or OPS_ENDPOINTS=false). */
  opsPrefix: string | undefined;
  refreshToken: string | undefined;
  accessLog: boolean;
  requestCounters: SharedArrayBuffer;
  /** SKEW_PROTECTION: the cookie's Max-Age, and where this thread counts pinned requests by outcome; undefined: off. */
  skew: { maxAgeSeconds: number; pinCounters: SharedArrayBuffer } | undefined;
  /** READ_AUTH_FILE's credentials and READ_AUTH_REALM; undefined: open (no read access control). */
  readAccess: { credentials: ReadCredentials; realm: string } | undefined;
  /**
   * One Int32 the main thread sets, read without a message's lag: 1 from a stop's start (readiness
   * 503, Connection: close; DRAIN_DELAY still serves new connections), 2 once the listeners close
   * (a connection accepted after that is dropped unanswered, as the closed listener's backlog is).
   */
  stoppingFlag: SharedArrayBuffer;
  /**
   * Where snapshots arrive (SnapshotUpdate messages), and one Int32 holding the generation the main
   * thread has published. A thread answers from the published generation only: it takes updates
   * from the port up to it before it answers, and holds back one that came before its publication,
   * so that once any thread has answered from snapshot N+1, no request that starts later is
   * answered from N, in any thread.
   */
  snapshot: { paths: SnapshotPaths; updates: MessagePort; published: SharedArrayBuffer };
}

export type MainToServing =
  /** Close the listener, finish the responses in flight, then say `closed` and end. */
  | { type: 'close' }
  | { type: 'metrics'; id: number; contentType: string; text: string }
  /** The catch-up refresh this thread asked for is done (or declined). */
  | { type: 'caught-up'; id: number }
  /** READ_AUTH_FILE reloaded: these credentials from now on. */
  | { type: 'read-credentials'; credentials: ReadCredentials }
  | { type: 'refresh-outcome'; id: number; outcome: RefreshOutcome };

export type ServingToMain =
  | { type: 'listening'; address: unknown }
  | { type: 'listen-failed'; code: string | undefined; message: string }
  /** The listening socket failed after it opened (EMFILE on accept, ...): a warning. */
  | { type: 'socket-error'; message: string }
  /** A scrape landed on this thread: the main thread owns the registry. */
  | { type: 'metrics'; id: number }
  /** POST /refresh landed here; `origin`: a push to pass on to the peers, or one passed on by a peer. */
  | { type: 'refresh'; id: number; origin: RefreshOrigin }
  /** A request pinned to a snapshot this replica does not hold (SKEW_PROTECTION). */
  | { type: 'catch-up'; id: number; pin: string }
  | { type: 'access'; entry: AccessLogEntry }
  /** Requests this thread refused for want of valid credentials since its last report, by client address (sent at most once a second). */
  | { type: 'read-denied'; denied: number; addresses: string[] };
