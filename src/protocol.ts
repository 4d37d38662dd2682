// Main thread and fetch worker. The messages between them, and the worker's start-up data.
import type { Config, Encoding } from './main/config.ts';

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
  'compression',
  'compressionMaxBytes',
  'integrityCheck',
] as const satisfies ReadonlyArray<keyof Config>;

/** What the worker needs to know; passed as `workerData`. */
export type FetchJob = Pick<Config, (typeof fetchJobKeys)[number]>;

export function fetchJobOf(config: Config): FetchJob {
  return Object.fromEntries(fetchJobKeys.map((key) => [key, config[key]])) as FetchJob;
}

/** A compressed form of the body, prepared by the worker. Transferred, like the body. */
export interface EncodedVariant {
  encoding: Encoding;
  body: ArrayBuffer;
  /** SHA-256 of `body`, base64, for Repr-Digest. */
  sha256: string;
}

/** One version of the object. Its buffers are transferred, not copied: the worker gives them up. */
export interface FetchedObject {
  body: ArrayBuffer;
  /** SHA-256 of `body`, base64, for Repr-Digest. */
  sha256: string;
  /** Smaller forms of the body, in the order of preference of COMPRESSION. */
  variants: EncodedVariant[];
  etag: string | undefined;
  /** Last-Modified as the store sent it; the main thread checks it before serving it. */
  lastModified: string | undefined;
  contentType: string | undefined;
  /** How the body was proven to be what the store holds: `checksum SHA256`, `md5`, `none: ...`, `off`. */
  integrity: string;
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
  /** `prepareMs`: of `durationMs`, the time spent on digests and compression after the fetch. */
  | { type: 'changed'; object: FetchedObject; durationMs: number; prepareMs: number }
  | { type: 'unchanged'; durationMs: number }
  | { type: 'failed'; failure: FetchFailure; durationMs: number };

const isOptionalString = (value: unknown): boolean => value === undefined || typeof value === 'string';

function isEncodedVariant(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const variant = value as Record<string, unknown>;
  return (variant.encoding === 'br' || variant.encoding === 'gzip') && variant.body instanceof ArrayBuffer && typeof variant.sha256 === 'string';
}

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
        typeof candidate.prepareMs === 'number' &&
        typeof object === 'object' &&
        object !== null &&
        object.body instanceof ArrayBuffer &&
        typeof object.sha256 === 'string' &&
        typeof object.integrity === 'string' &&
        Array.isArray(object.variants) &&
        object.variants.every(isEncodedVariant) &&
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
