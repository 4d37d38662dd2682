// Main thread and fetch worker. The messages between them, the worker's start-up data, and the
// vocabulary both sides (and the serving code) speak: nothing here imports a thread's own folder.

/** Content codings the worker can prepare (COMPRESSION), in the order HTTP names them. */
export const encodings = ['br', 'gzip'] as const;
export type Encoding = (typeof encodings)[number];

/**
 * The settings the worker needs, passed as `workerData`; the rest of the configuration stays on
 * the main thread (src/main/config.ts, whose Config the main thread narrows to this).
 */
export interface FetchJob {
  bucket: string;
  key: string;
  /** Undefined: AWS S3. */
  endpoint: string | undefined;
  forcePathStyle: boolean;
  /** The proxy to the store, with its credentials (never shown); undefined: none (src/main/store-route.ts). */
  proxy: string | undefined;
  /** AWS_CA_BUNDLE: a PEM file of CAs trusted besides the default ones (NODE_EXTRA_CA_CERTS among them). */
  caBundle: string | undefined;
  /** Undefined: the SDK's chain decides. */
  region: string | undefined;
  refreshIntervalMs: number;
  fetchTimeoutMs: number;
  maxObjectBytes: number;
  /** Preferred first; empty: none prepared. */
  compression: Encoding[];
  compressionMaxBytes: number;
  integrityCheck: boolean;
  /** 0: off. */
  staleIfErrorMs: number;
  cacheFile: string | undefined;
  /** Prefix mode (S3_PREFIX; '' is the whole bucket): every object under it, as one snapshot. Undefined: `key` alone. */
  prefix: string | undefined;
  /** Prefix mode: a key relative to the prefix that every snapshot must hold (FALLBACK_DOCUMENT). */
  fallbackDocument: string | undefined;
  /** Prefix mode: a key relative to the prefix whose change alone makes a refresh list the prefix. */
  snapshotMarker: string | undefined;
  maxObjects: number;
  /** Bodies as stored, all objects together. */
  maxTotalBytes: number;
  /** GETs in flight at once while a snapshot is fetched. */
  fetchConcurrency: number;
}

/** A compressed form of the body, prepared by the worker; in shared memory, like the body. */
export interface EncodedVariant {
  encoding: Encoding;
  body: SharedArrayBuffer;
  /** SHA-256 of `body`, base64, for Repr-Digest. */
  sha256: string;
}

/**
 * One version of the object. Its bytes are in shared memory: posting it to a thread shares them,
 * never copies them (see src/shared/shared-bytes.ts).
 */
export interface FetchedObject {
  body: SharedArrayBuffer;
  /** SHA-256 of `body`, base64, for Repr-Digest. */
  sha256: string;
  /** Smaller forms of the body, in the order of preference of COMPRESSION. */
  variants: EncodedVariant[];
  etag: string | undefined;
  /** Last-Modified as the store sent it; the main thread checks it before serving it. */
  lastModified: string | undefined;
  /**
   * False once the worker has seen this Last-Modified on another version (two writes within one
   * second): If-Range may then not match the date (src/worker/last-modified.ts).
   */
  lastModifiedStrong: boolean;
  contentType: string | undefined;
  /** The object's own Cache-Control metadata, served instead of the interval's (one-object mode drops it). */
  cacheControl: string | undefined;
  /**
   * x-amz-website-redirect-location, checked by the worker (a path on this site or an http(s) URL):
   * the object is answered 301 to it, with no body.
   */
  redirectLocation: string | undefined;
  /** How the body was proven to be what the store holds: `checksum SHA256`, `md5`, `none: ...`, `off`. */
  integrity: string;
}

/** One-object mode's snapshot holds its one object at this path, which `/` serves. */
export const objectPath = '';

/** One entry of a snapshot, new or changed: its path is its key relative to the prefix (`objectPath` in one-object mode). */
export interface SnapshotChange {
  path: string;
  object: FetchedObject;
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
  /** Fetch now (SIGHUP, POST /refresh); queued behind a fetch already in flight, never beside it. */
  | { type: 'refresh' }
  /** Cancel any fetch in flight and end the thread. */
  | { type: 'stop' };

/**
 * What each fetch's outcome carries besides its own data. `answers`: how many refresh requests
 * (in the order they were sent) this fetch answers: they came before it began.
 */
interface FetchReport {
  durationMs: number;
  answers: number;
}

export type WorkerToMain =
  /**
   * The next snapshot, as what changed since the one before (the first: everything). Each thread
   * applies it to the snapshot it holds and swaps the result in whole. `listPages`: ListObjectsV2
   * pages this refresh read. `prepareMs`: of `durationMs`, the time spent on digests and
   * compression. `confirmedAt` (ms since the epoch): when the store last vouched for it; long ago
   * for a snapshot read back from CACHE_FILE at start-up (`fromCacheFile`).
   */
  | (FetchReport & {
      type: 'changed';
      /** Derived from the keys and ETags of the whole snapshot: every replica holding the same set names it the same. */
      snapshotId: string;
      changes: SnapshotChange[];
      removed: string[];
      listPages: number;
      prepareMs: number;
      confirmedAt: number;
      fromCacheFile: boolean;
    })
  /** `listPages`: 0 when a conditional GET (of the key, or of the snapshot marker) said unchanged. */
  | (FetchReport & { type: 'unchanged'; listPages: number })
  /** `retrying`: STALE_IF_ERROR mode, or a snapshot that changed while it was fetched; otherwise the worker has stopped. */
  | (FetchReport & { type: 'failed'; failure: FetchFailure; retrying: boolean })
  /** Something to log at warn that is not a failed fetch (the cache file). */
  | { type: 'warning'; code: string; message: string };

const isOptionalString = (value: unknown): boolean => value === undefined || typeof value === 'string';
const isCount = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0;

function isEncodedVariant(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const variant = value as Record<string, unknown>;
  return (variant.encoding === 'br' || variant.encoding === 'gzip') && variant.body instanceof SharedArrayBuffer && typeof variant.sha256 === 'string';
}

function isFetchedObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const object = value as Record<string, unknown>;
  return (
    object.body instanceof SharedArrayBuffer &&
    typeof object.sha256 === 'string' &&
    typeof object.integrity === 'string' &&
    Array.isArray(object.variants) &&
    object.variants.every(isEncodedVariant) &&
    isOptionalString(object.etag) &&
    isOptionalString(object.lastModified) &&
    typeof object.lastModifiedStrong === 'boolean' &&
    isOptionalString(object.contentType) &&
    isOptionalString(object.cacheControl) &&
    isOptionalString(object.redirectLocation)
  );
}

function isSnapshotChange(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const change = value as Record<string, unknown>;
  return typeof change.path === 'string' && isFetchedObject(change.object);
}

function isFetchFailure(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const failure = value as Record<string, unknown>;
  return (
    typeof failure.code === 'string' &&
    typeof failure.message === 'string' &&
    (failure.httpStatus === undefined || typeof failure.httpStatus === 'number')
  );
}

/** Checks a message from the worker: a malformed one is a fault, not something to guess at. */
export function isWorkerToMain(message: unknown): message is WorkerToMain {
  if (typeof message !== 'object' || message === null) return false;
  const candidate = message as Record<string, unknown>;
  if (candidate.type === 'warning') return typeof candidate.code === 'string' && typeof candidate.message === 'string';
  if (typeof candidate.durationMs !== 'number' || typeof candidate.answers !== 'number') return false;
  switch (candidate.type) {
    case 'unchanged':
      return isCount(candidate.listPages);
    case 'changed':
      return (
        typeof candidate.snapshotId === 'string' &&
        Array.isArray(candidate.changes) &&
        candidate.changes.every(isSnapshotChange) &&
        Array.isArray(candidate.removed) &&
        candidate.removed.every((path) => typeof path === 'string') &&
        isCount(candidate.listPages) &&
        typeof candidate.prepareMs === 'number' &&
        typeof candidate.confirmedAt === 'number' &&
        typeof candidate.fromCacheFile === 'boolean'
      );
    case 'failed':
      return typeof candidate.retrying === 'boolean' && isFetchFailure(candidate.failure);
    default:
      return false;
  }
}
