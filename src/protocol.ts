// Main thread and fetch worker. The messages between them, and the worker's start-up data.
import type { Config } from './main/config.ts';

/** The settings the worker needs; the rest of the configuration stays on the main thread. */
const fetchJobKeys = [
  'bucket',
  'key',
  'endpoint',
  'forcePathStyle',
  'region',
  'refreshIntervalMs',
  'fetchTimeoutMs',
  'maxObjectBytes',
] as const satisfies ReadonlyArray<keyof Config>;

/** What the worker needs to know; passed as `workerData`. */
export type FetchJob = Pick<Config, (typeof fetchJobKeys)[number]>;

export function fetchJobOf(config: Config): FetchJob {
  return Object.fromEntries(fetchJobKeys.map((key) => [key, config[key]])) as FetchJob;
}

/** One version of the object. `body` is transferred, not copied: the worker gives it up. */
export interface FetchedObject {
  body: ArrayBuffer;
  etag: string | undefined;
  /** As an HTTP date (RFC 9110), ready for the Last-Modified header. */
  lastModified: string | undefined;
  contentType: string | undefined;
}

/** Why a fetch failed, already worded for the one log line the main thread writes. */
export interface FetchFailure {
  /** S3 error code (NoSuchKey, AccessDenied, ...), a socket error code, or one of ours. */
  code: string;
  httpStatus: number | undefined;
  /** One line naming the object, the cause and the fix. */
  message: string;
}

export type MainToWorker =
  /** Fetch now (SIGHUP); queued behind a fetch already in flight, never run beside it. */
  | { type: 'refresh' }
  /** Cancel any fetch in flight and end the thread. */
  | { type: 'stop' };

export type WorkerToMain =
  | { type: 'changed'; object: FetchedObject; durationMs: number }
  | { type: 'unchanged'; durationMs: number }
  | { type: 'failed'; failure: FetchFailure; durationMs: number };

const isOptionalString = (value: unknown): boolean => value === undefined || typeof value === 'string';

/** Checks a message from the worker: a malformed one is a fault, not something to guess at. */
export function isWorkerToMain(message: unknown): message is WorkerToMain {
  if (typeof message !== 'object' || message === null) return false;
  const candidate = message as Record<string, unknown>;
  if (typeof candidate.durationMs !== 'number') return false;
  switch (candidate.type) {
    case 'unchanged':
      return true;
    case 'changed': {
      const object = candidate.object as Record<string, unknown> | undefined;
      return (
        typeof object === 'object' &&
        object !== null &&
        object.body instanceof ArrayBuffer &&
        isOptionalString(object.etag) &&
        isOptionalString(object.lastModified) &&
        isOptionalString(object.contentType)
      );
    }
    case 'failed': {
      const failure = candidate.failure as Record<string, unknown> | undefined;
      return (
        typeof failure === 'object' &&
        failure !== null &&
        typeof failure.code === 'string' &&
        typeof failure.message === 'string' &&
        (failure.httpStatus === undefined || typeof failure.httpStatus === 'number')
      );
    }
    default:
      return false;
  }
}
