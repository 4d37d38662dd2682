// Main thread and serving threads. What a serving thread is told at start (`workerData`) and the
// messages between it and the main thread, which owns the object, readiness, metrics and refreshes.
import type { Config } from './main/config.ts';
import type { RefreshOutcome } from './main/refresh-requests.ts';
import type { FetchedObject } from './protocol.ts';
import type { AccessLogEntry } from './http/request-handler.ts';

export interface ServingJob {
  /** Its row in the shared request counters (0 is the main thread's). */
  index: number;
  listen: Pick<Config, 'port' | 'host' | 'keepAliveTimeoutMs' | 'headersTimeoutMs' | 'maxConnections'>;
  cacheControl: string;
  /** Undefined: the operations endpoints are not on this port (OPS_PORT, or OPS_ENDPOINTS=false). */
  opsPrefix: string | undefined;
  refreshToken: string | undefined;
  accessLog: boolean;
  requestCounters: SharedArrayBuffer;
  /** One Int32, set to 1 by the main thread at a stop signal: read per request, no message lag. */
  stoppingFlag: SharedArrayBuffer;
}

export type MainToServing =
  /** A new version (its bytes are shared memory: no copy); the first one opens the port. */
  | { type: 'object'; object: FetchedObject }
  /** Close the listener, finish the responses in flight, then say `closed` and end. */
  | { type: 'close' }
  | { type: 'metrics'; id: number; contentType: string; text: string }
  | { type: 'refresh-outcome'; id: number; outcome: RefreshOutcome };

export type ServingToMain =
  | { type: 'listening'; address: unknown }
  | { type: 'listen-failed'; code: string | undefined; message: string }
  /** The listening socket failed after it opened (EMFILE on accept, ...): a warning. */
  | { type: 'socket-error'; message: string }
  /** A scrape landed on this thread: the main thread owns the registry. */
  | { type: 'metrics'; id: number }
  /** POST /refresh landed here; `answered` once its outcome has been sent. */
  | { type: 'refresh'; id: number }
  | { type: 'refresh-answered'; id: number }
  | { type: 'access'; entry: AccessLogEntry };
