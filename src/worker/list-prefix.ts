// Fetch worker. The listing of a prefix: every page of ListObjectsV2 (1000 keys each), checked
// against the limits as it arrives, before anything is fetched.
import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { FetchJob } from '../protocol.ts';
import { ObjectTooLargeError, SnapshotTooLargeError } from './object-errors.ts';

export interface ListedObject {
  key: string;
  /** The key relative to the prefix: the path it is served at, without the leading `/`. */
  path: string;
  /** Quoted, as the store lists it. */
  etag: string;
  size: number;
  /** When the store wrote it, by the store's clock (ms since the epoch). */
  lastModified: number | undefined;
}

export interface Listing {
  objects: ListedObject[];
  pages: number;
}

type ListingJob = Pick<FetchJob, 'bucket' | 'maxObjects' | 'maxTotalBytes' | 'maxObjectBytes'> & { prefix: string };

/** Thrown with the key that broke MAX_OBJECT_BYTES, so that the failure line can name it. */
export class ListedObjectTooLarge extends ObjectTooLargeError {
  readonly key: string;
  constructor(key: string, size: number, limit: number) {
    super(size, limit);
    this.key = key;
  }
}

export async function listPrefix(client: S3Client, job: ListingJob, signal: AbortSignal): Promise<Listing> {
  const objects: ListedObject[] = [];
  let pages = 0;
  let totalBytes = 0;
  const pager = paginateListObjectsV2(
    { client, pageSize: 1000, stopOnSameToken: true },
    { Bucket: job.bucket, Prefix: job.prefix },
    { abortSignal: signal },
  );
  for await (const page of pager) {
    pages++;
    for (const listed of page.Contents ?? []) {
      const key = listed.Key;
      // Keys ending in / are folder placeholders that consoles create: nothing to serve.
      if (key === undefined || key.endsWith('/')) continue;
      const size = listed.Size ?? 0;
      if (size > job.maxObjectBytes) throw new ListedObjectTooLarge(key, size, job.maxObjectBytes);
      totalBytes += size;
      objects.push({ key, path: key.slice(job.prefix.length), etag: listed.ETag ?? '', size, lastModified: listed.LastModified?.getTime() });
      if (objects.length > job.maxObjects) throw new SnapshotTooLargeError('MAX_OBJECTS', job.maxObjects, 'objects');
      if (totalBytes > job.maxTotalBytes) throw new SnapshotTooLargeError('MAX_TOTAL_BYTES', job.maxTotalBytes, 'bytes');
    }
  }
  return { objects, pages };
}
