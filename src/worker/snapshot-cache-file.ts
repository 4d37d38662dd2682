// Fetch worker. CACHE_FILE in prefix mode: the whole snapshot in one file, replaced atomically
// after each changed refresh (src/worker/atomic-file.ts), mode 0600, so that a restart while the
// store is down can serve it (with STALE_IF_ERROR):
//
//   CACHE_FILE            `s3-object-cache-snapshot 1\n`, one JSON line of metadata, then the bodies
//   CACHE_FILE.confirmed  `{"digest":...,"confirmedAt":...}`: when the store last vouched for it
//
// The metadata holds the bucket, the prefix, a SHA-256 of the endpoint (not the endpoint: it may
// carry a password), when it was stored and, for each object in the order of the bodies, its path,
// ETag, Last-Modified, Content-Type, Cache-Control, size and SHA-256. A reader checks all of it: a
// torn, corrupt or foreign file is never served. `digest` is the SHA-256 of the metadata line,
// which names every body by its digest: it says which snapshot a confirmation is about.
import type { FetchJob, SnapshotChange } from '../protocol.ts';
import { toSharedBytes } from '../shared/shared-bytes.ts';
import { writeAtomically } from './atomic-file.ts';
import { CacheFileError, confirmationTime, endpointSha256, readCacheFile, sha256Of, writeConfirmation } from './cache-file.ts';
import type { StoreObject } from './s3-object-source.ts';

const magic = 's3-object-cache-snapshot 1\n';

interface StoredObject {
  path: string;
  etag: string | undefined;
  lastModified: string | undefined;
  contentType: string | undefined;
  cacheControl: string | undefined;
  size: number;
  sha256: string;
}

interface Metadata {
  bucket: string;
  prefix: string;
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

type Identity = Pick<FetchJob, 'bucket' | 'endpoint'> & { prefix: string };

/** After a changed refresh: every object of the snapshot. Returns the snapshot's digest. */
export async function storeSnapshot(path: string, job: Identity, objects: readonly SnapshotChange[], confirmedAt: number): Promise<string> {
  const metadata: Metadata = {
    bucket: job.bucket,
    prefix: job.prefix,
    endpointSha256: endpointSha256(job),
    storedAt: confirmedAt,
    objects: objects.map(({ path: objectPath, object }) => ({
      path: objectPath,
      etag: object.etag,
      lastModified: object.lastModified,
      contentType: object.contentType,
      cacheControl: object.cacheControl,
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
  await writeConfirmation(path, 'digest', digest, confirmedAt);
}

/** The snapshot in `path`, checked whole; throws CacheFileError saying why it cannot be used. */
export async function readSnapshot(path: string, job: Identity): Promise<StoredSnapshot> {
  const { line, metadata: parsed, rest } = await readCacheFile(path, magic);
  const metadata = parsed as Metadata;
  if (metadata.bucket !== job.bucket || metadata.prefix !== job.prefix || metadata.endpointSha256 !== endpointSha256(job)) {
    throw new CacheFileError(`it holds another snapshot (s3://${metadata.bucket}/${metadata.prefix}, or another endpoint)`);
  }
  const objects: StoredSnapshot['objects'] = [];
  let offset = 0;
  for (const stored of metadata.objects) {
    const body = rest.subarray(offset, offset + stored.size);
    offset += stored.size;
    if (body.byteLength !== stored.size || sha256Of(body) !== stored.sha256) {
      throw new CacheFileError(`its body of ${stored.path} is truncated or corrupt`);
    }
    const { etag, lastModified, contentType, cacheControl } = stored;
    const object = { body: toSharedBytes(body), etag, lastModified, contentType, cacheControl, integrity: 'cache file (SHA-256 verified)' };
    objects.push({ path: stored.path, object, sha256: stored.sha256 });
  }
  if (offset !== rest.byteLength) throw new CacheFileError(`it is ${rest.byteLength - offset} bytes longer than its objects`);
  const digest = sha256Of(line);
  return { objects, digest, confirmedAt: await confirmationTime(path, 'digest', digest, metadata.storedAt) };
}
