// Fetch worker. What can be wrong with an answer the store gave, each with the fix the failure
// line names. The SDK's own errors are described in fetch-failure.ts.

export abstract class ObjectError extends Error {
  abstract readonly code: string;
  abstract readonly fix: string;
}

export class ObjectTooLargeError extends ObjectError {
  readonly code = 'ObjectTooLarge';
  readonly fix = 'raise MAX_OBJECT_BYTES or make the object smaller';
  constructor(size: number | undefined, limit: number) {
    super(`object is ${size === undefined ? 'larger than' : `${size} bytes, over`} the limit of ${limit} bytes`);
  }
}

export class TruncatedBodyError extends ObjectError {
  readonly code = 'TruncatedBody';
  readonly fix = 'the connection to the store broke mid-body or the store misreports sizes; check the store and any proxy in between';
}

/** A 304 to a GET that sent no If-None-Match: there is no cached copy it could refer to. */
export class UnexpectedNotModifiedError extends ObjectError {
  readonly code = 'UnexpectedNotModified';
  readonly fix = 'check the store and any proxy in between: they must not answer a plain GET with 304';
  constructor() {
    super('the store answered 304 Not Modified to a GET that had no If-None-Match');
  }
}

/** The body does not match the store's checksum or MD5 ETag: those bytes are never served. */
export class ObjectCorruptedError extends ObjectError {
  readonly code = 'ObjectCorrupted';
  readonly fix = 'the bytes were not served; check the network path and any proxy between the service and the store';
  constructor(detail: string) {
    super(`object corrupted in transit: ${detail}`);
  }
}

/** A prefix past MAX_OBJECTS or MAX_TOTAL_BYTES: a mistaken S3_PREFIX must not end in an out-of-memory kill. */
export class SnapshotTooLargeError extends ObjectError {
  readonly code = 'SnapshotTooLarge';
  readonly fix: string;
  constructor(setting: 'MAX_OBJECTS' | 'MAX_TOTAL_BYTES', limit: number, unit: string) {
    super(`the prefix holds more than ${setting}=${limit} ${unit}`);
    this.fix = `raise ${setting} (every replica holds the whole snapshot in memory) or narrow S3_PREFIX`;
  }
}

/**
 * An object changed again between the listing and its GET (412 to If-Match, another ETag, or gone):
 * a snapshot of that listing cannot be made, so the refresh is retried and the one held stays served.
 */
export class SnapshotChangedError extends ObjectError {
  readonly code = 'SnapshotChanged';
  readonly fix = 'nothing to do: the refresh is retried with back-off, and the snapshot held goes on being served, whole';
}

/** FALLBACK_DOCUMENT is not in the next snapshot: a site whose deep links would all be 404s is not swapped in. */
export class FallbackDocumentMissingError extends ObjectError {
  readonly code = 'FallbackDocumentMissing';
  readonly fix: string;
  constructor(key: string) {
    super(`the next snapshot has no ${key}, which FALLBACK_DOCUMENT names`);
    this.fix = 'upload it (with the rest of the deploy) or change FALLBACK_DOCUMENT';
  }
}
