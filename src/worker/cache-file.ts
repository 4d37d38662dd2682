// Fetch worker. The last good object on disk (CACHE_FILE), so that a restart while the store is
// down can still serve it (with STALE_IF_ERROR). Two files, each replaced atomically (temporary
// file in the same directory, fsync, rename, fsync of the directory), mode 0600:
//
//   CACHE_FILE            `s3-object-cache 1\n`, one JSON line of metadata, then the body
//   CACHE_FILE.confirmed  `{"sha256":...,"confirmedAt":...}`: when the store last vouched for it
//
// The metadata holds the bucket, the key, a SHA-256 of the endpoint (not the endpoint: it may
// carry a password), the ETag, Last-Modified, Content-Type, size, the body's SHA-256 (base64) and
// when it was stored (ms since the epoch). A reader checks all of it: a torn, corrupt or foreign file is never served.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FetchJob } from '../protocol.ts';
import { toSharedBytes } from '../shared/shared-bytes.ts';
import { writeAtomically } from './atomic-file.ts';
import type { StoreObject } from './s3-object-source.ts';

const magic = 's3-object-cache 1\n';

interface Metadata {
  bucket: string;
  key: string;
  endpointSha256: string;
  etag: string | undefined;
  lastModified: string | undefined;
  contentType: string | undefined;
  size: number;
  sha256: string;
  storedAt: number;
}

export interface CachedCopy {
  object: StoreObject;
  /** The body's SHA-256, base64. */
  sha256: string;
  /** When the store last confirmed these bytes (ms since the epoch). */
  confirmedAt: number;
}

export class CacheFileError extends Error {}

type Identity = Pick<FetchJob, 'bucket' | 'key' | 'endpoint'>;

export const sha256Of = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('base64');
/** The endpoint as a cache file names it: a digest, since an endpoint may carry a password. */
export const endpointSha256 = (job: Pick<FetchJob, 'endpoint'>) => sha256Of(job.endpoint ?? 'aws');
const confirmationFile = (path: string) => `${path}.confirmed`;

/**
 * A cache file's parts (this one's, or prefix mode's snapshot file): its metadata line, parsed, and
 * the bytes after it. Throws CacheFileError for a file that cannot be read, is not one of this
 * service's (`magic`), or whose metadata is corrupt.
 */
export async function readCacheFile(path: string, magic: string): Promise<{ line: string; metadata: unknown; rest: Buffer }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new CacheFileError(`cannot read it: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (!bytes.subarray(0, magic.length).equals(Buffer.from(magic))) throw new CacheFileError('not a cache file of this service');
  const lineEnd = bytes.indexOf(0x0a, magic.length);
  const line = bytes.subarray(magic.length, lineEnd).toString();
  try {
    return { line, metadata: JSON.parse(line), rest: bytes.subarray(lineEnd + 1) };
  } catch {
    throw new CacheFileError('its metadata is corrupt');
  }
}

/** Records when the store last vouched for what `path` holds (`field`: what names it, and its value). */
export async function writeConfirmation(path: string, field: string, value: string, confirmedAt: number): Promise<void> {
  await writeAtomically(confirmationFile(path), [Buffer.from(JSON.stringify({ [field]: value, confirmedAt }))]);
}

/**
 * When the store last vouched for what `path` holds: the confirmation's time if it names the same
 * content (`field` = `value`), else when the content was stored, the one certain confirmation.
 */
export async function confirmationTime(path: string, field: string, value: string, storedAt: number): Promise<number> {
  try {
    const confirmation = JSON.parse(await readFile(confirmationFile(path), 'utf8')) as Record<string, unknown>;
    if (confirmation[field] === value && typeof confirmation.confirmedAt === 'number') return Math.max(confirmation.confirmedAt, storedAt);
  } catch {
    // missing or torn
  }
  return storedAt;
}

/** After a changed fetch: the body, whose SHA-256 (base64) the caller has computed, and its metadata. */
export async function storeCopy(path: string, job: Identity, object: StoreObject, sha256: string, confirmedAt: number): Promise<void> {
  const body = new Uint8Array(object.body);
  const metadata: Metadata = {
    bucket: job.bucket,
    key: job.key,
    endpointSha256: endpointSha256(job),
    etag: object.etag,
    lastModified: object.lastModified,
    contentType: object.contentType,
    size: body.byteLength,
    sha256,
    storedAt: confirmedAt,
  };
  await writeAtomically(path, [Buffer.from(`${magic}${JSON.stringify(metadata)}\n`), body]);
  await confirmCopy(path, sha256, confirmedAt);
}

/** After an unchanged fetch: only the time of the store's confirmation. */
export async function confirmCopy(path: string, sha256: string, confirmedAt: number): Promise<void> {
  await writeConfirmation(path, 'sha256', sha256, confirmedAt);
}

/** The copy in `path`, checked whole; throws CacheFileError saying why it cannot be used. */
export async function readCopy(path: string, job: Identity): Promise<CachedCopy> {
  const file = await readCacheFile(path, magic);
  const metadata = file.metadata as Metadata;
  if (metadata.bucket !== job.bucket || metadata.key !== job.key || metadata.endpointSha256 !== endpointSha256(job)) {
    throw new CacheFileError(`it holds another object (s3://${metadata.bucket}/${metadata.key}, or another endpoint)`);
  }
  const body = file.rest;
  if (body.byteLength !== metadata.size || sha256Of(body) !== metadata.sha256) {
    throw new CacheFileError(`its body is truncated or corrupt (${body.byteLength} of ${metadata.size} bytes, SHA-256 mismatch)`);
  }
  return {
    sha256: metadata.sha256,
    object: {
      body: toSharedBytes(body),
      etag: metadata.etag,
      lastModified: metadata.lastModified,
      contentType: metadata.contentType,
      cacheControl: undefined, // single-object mode serves its own Cache-Control
      integrity: 'cache file (SHA-256 verified)',
    },
    confirmedAt: await confirmationTime(path, 'sha256', metadata.sha256, metadata.storedAt),
  };
}
