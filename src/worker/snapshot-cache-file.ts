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
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FetchJob, SnapshotChange } from '../protocol.ts';
import { toSharedBytes } from '../shared/shared-bytes.ts';
import { writeAtomically } from './atomic-file.ts';
import { CacheFileError } from './cache-file.ts';
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

const sha256Of = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('base64');
const endpointSha256 = (job: Identity) => sha256Of(job.endpoint ?? 'aws');
const confirmationFile = (path: string) => `${path}.confirmed`;

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
  await writeAtomically(confirmationFile(path), [Buffer.from(JSON.stringify({ digest, confirmedAt }))]);
}

/** The snapshot in `path`, checked whole; throws CacheFileError saying why it cannot be used. */
export async function readSnapshot(path: string, job: Identity): Promise<StoredSnapshot> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new CacheFileError(`cannot read it: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (!bytes.subarray(0, magic.length).equals(Buffer.from(magic))) throw new CacheFileError('not a snapshot file of this service');
  const lineEnd = bytes.indexOf(0x0a, magic.length);
  const line = bytes.subarray(magic.length, lineEnd).toString();
  let metadata: Metadata;
  try {
    metadata = JSON.parse(line) as Metadata;
  } catch {
    throw new CacheFileError('its metadata is corrupt');
  }
  if (metadata.bucket !== job.bucket || metadata.prefix !== job.prefix || metadata.endpointSha256 !== endpointSha256(job)) {
    throw new CacheFileError(`it holds another snapshot (s3://${metadata.bucket}/${metadata.prefix}, or another endpoint)`);
  }
  const objects: StoredSnapshot['objects'] = [];
  let offset = lineEnd + 1;
  for (const stored of metadata.objects) {
    const body = bytes.subarray(offset, offset + stored.size);
    offset += stored.size;
    if (body.byteLength !== stored.size || sha256Of(body) !== stored.sha256) {
      throw new CacheFileError(`its body of ${stored.path} is truncated or corrupt`);
    }
    const { etag, lastModified, contentType, cacheControl } = stored;
    const object = { body: toSharedBytes(body), etag, lastModified, contentType, cacheControl, integrity: 'cache file (SHA-256 verified)' };
    objects.push({ path: stored.path, object, sha256: stored.sha256 });
  }
  if (offset !== bytes.byteLength) throw new CacheFileError(`it is ${bytes.byteLength - offset} bytes longer than its objects`);
  const digest = sha256Of(line);
  return { objects, digest, confirmedAt: await confirmedAt(path, digest, metadata.storedAt) };
}

/** The confirmation file's time if it speaks of this snapshot, else when the snapshot was stored. */
async function confirmedAt(path: string, digest: string, storedAt: number): Promise<number> {
  try {
    const confirmation = JSON.parse(await readFile(confirmationFile(path), 'utf8')) as { digest?: unknown; confirmedAt?: unknown };
    if (confirmation.digest === digest && typeof confirmation.confirmedAt === 'number') return Math.max(confirmation.confirmedAt, storedAt);
  } catch {
    // missing or torn: the snapshot's own time is the one certain confirmation
  }
  return storedAt;
}
