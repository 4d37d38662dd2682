// Fetch worker. The last good snapshot on disk (CACHE_FILE), in both modes, so that a restart
// while the store is down can still serve it (with STALE_IF_ERROR). Two files, each replaced
// atomically (src/worker/atomic-file.ts), mode 0600:
//
//   CACHE_FILE            `s3-object-cache-snapshot 1\n`, one JSON line of metadata, then the bodies
//   CACHE_FILE.confirmed  `{"digest":...,"confirmedAt":...}`: when the store last vouched for it
//
// The metadata holds the bucket, the key (one-object mode) or the prefix, a SHA-256 of the endpoint
// (not the endpoint: it may carry a password), when it was stored and, for each entry in the order
// of the bodies, its path, ETag, Last-Modified, Content-Type, Cache-Control, redirect, size and SHA-256. A
// reader checks all of it: a torn, corrupt or foreign file is never served. `digest` is the SHA-256
// of the metadata line, which names every body by its digest: it says which snapshot a
// confirmation is about.
import { readFile } from 'node:fs/promises';
import type { FetchJob, SnapshotChange } from '../protocol.ts';
import { toSharedBytes } from '../shared/shared-bytes.ts';
import { writeAtomically } from './atomic-file.ts';
import { sha256Of } from './representations.ts';
import type { StoreObject } from './s3-object-source.ts';

const magic = 's3-object-cache-snapshot 1\n';
/** One-object mode's own format before both modes shared this one: ignored with a warning. */
const earlierObjectMagic = 's3-object-cache 1\n';

interface StoredObject {
  path: string;
  etag: string | undefined;
  lastModified: string | undefined;
  contentType: string | undefined;
  cacheControl: string | undefined;
  redirectLocation?: string | undefined;
  size: number;
  sha256: string;
}

interface Metadata {
  bucket: string;
  /** One-object mode. */
  key?: string | undefined;
  /** Prefix mode. */
  prefix?: string | undefined;
  endpointSha256: string;
  storedAt: number;
  objects: StoredObject[];
}

export interface StoredSnapshot {
  objects: Array<{ path: string; object: StoreObject; sha256: string }>;
  digest: string;
  /** When the store last confirmed this snapshot (ms since the epoch). */
  confirmedAt: number;
}

export class CacheFileError extends Error {}

type Identity = Pick<FetchJob, 'bucket' | 'key' | 'prefix' | 'endpoint'>;

const confirmationFile = (path: string) => `${path}.confirmed`;

/** What a file must name to be this service's snapshot: the endpoint as a digest, since it may carry a password. */
function sourceOf(job: Identity): Pick<Metadata, 'bucket' | 'key' | 'prefix' | 'endpointSha256'> {
  const named = job.prefix === undefined ? { key: job.key } : { prefix: job.prefix };
  return { bucket: job.bucket, ...named, endpointSha256: sha256Of(job.endpoint ?? 'aws') };
}

/** After a changed refresh: every entry of the snapshot. Returns the snapshot's digest. */
export async function storeSnapshot(path: string, job: Identity, objects: readonly SnapshotChange[], confirmedAt: number): Promise<string> {
  const metadata: Metadata = {
    ...sourceOf(job),
    storedAt: confirmedAt,
    objects: objects.map(({ path: objectPath, object }) => ({
      path: objectPath,
      etag: object.etag,
      lastModified: object.lastModified,
      contentType: object.contentType,
      cacheControl: object.cacheControl,
      redirectLocation: object.redirectLocation,
      size: object.body.byteLength,
      sha256: object.sha256,
    })),
  };
  const line = JSON.stringify(metadata);
  await writeAtomically(path, [Buffer.from(`${magic}${line}\n`), ...objects.map(({ object }) => new Uint8Array(object.body))]);
  const digest = sha256Of(line);
  await confirmSnapshot(path, digest, confirmedAt);
  return digest;
}

/** After an unchanged refresh: only the time of the store's confirmation. */
export async function confirmSnapshot(path: string, digest: string, confirmedAt: number): Promise<void> {
  await writeAtomically(confirmationFile(path), [Buffer.from(JSON.stringify({ digest, confirmedAt }))]);
}

/** The snapshot in `path`, checked whole; throws CacheFileError saying why it cannot be used. */
export async function readSnapshot(path: string, job: Identity): Promise<StoredSnapshot> {
  const { line, metadata, rest } = await readParts(path);
  const expected = sourceOf(job);
  if (metadata.bucket !== expected.bucket || metadata.key !== expected.key || metadata.prefix !== expected.prefix || metadata.endpointSha256 !== expected.endpointSha256) {
    throw new CacheFileError(`it holds another ${job.prefix === undefined ? 'object' : 'snapshot'} (s3://${metadata.bucket}/${metadata.key ?? metadata.prefix}, or another endpoint)`);
  }
  const objects: StoredSnapshot['objects'] = [];
  let offset = 0;
  for (const stored of metadata.objects) {
    const body = rest.subarray(offset, offset + stored.size);
    offset += stored.size;
    if (body.byteLength !== stored.size || sha256Of(body) !== stored.sha256) {
      throw new CacheFileError(`its body of ${stored.path || metadata.key} is truncated or corrupt`);
    }
    const { etag, lastModified, contentType, cacheControl, redirectLocation } = stored;
    const object = { body: toSharedBytes(body), etag, lastModified, contentType, cacheControl, redirectLocation, integrity: 'cache file (SHA-256 verified)' };
    objects.push({ path: stored.path, object, sha256: stored.sha256 });
  }
  if (offset !== rest.byteLength) throw new CacheFileError(`it is ${rest.byteLength - offset} bytes longer than its objects`);
  const digest = sha256Of(line);
  return { objects, digest, confirmedAt: await confirmationTime(path, digest, metadata.storedAt) };
}

/** Its metadata line, parsed, and the bytes after it; CacheFileError for a file that is not one of this service's. */
async function readParts(path: string): Promise<{ line: string; metadata: Metadata; rest: Buffer }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new CacheFileError(`cannot read it: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const starts = (text: string) => bytes.subarray(0, text.length).equals(Buffer.from(text));
  if (starts(earlierObjectMagic)) throw new CacheFileError('an earlier release wrote it in its one-object format; the next successful refresh replaces it');
  if (!starts(magic)) throw new CacheFileError('not a cache file of this service');
  const lineEnd = bytes.indexOf(0x0a, magic.length);
  const line = bytes.subarray(magic.length, lineEnd).toString();
  try {
    return { line, metadata: JSON.parse(line) as Metadata, rest: bytes.subarray(lineEnd + 1) };
  } catch {
    throw new CacheFileError('its metadata is corrupt');
  }
}

/**
 * When the store last vouched for what `path` holds: the confirmation's time if it names the same
 * snapshot, else when the snapshot was stored, the one certain confirmation.
 */
async function confirmationTime(path: string, digest: string, storedAt: number): Promise<number> {
  try {
    const confirmation = JSON.parse(await readFile(confirmationFile(path), 'utf8')) as Record<string, unknown>;
    if (confirmation.digest === digest && typeof confirmation.confirmedAt === 'number') return Math.max(confirmation.confirmedAt, storedAt);
  } catch {
    // missing or torn
  }
  return storedAt;
}
