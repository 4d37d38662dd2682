// Fetch worker. Prefix mode with SNAPSHOT_MARKER: a refresh first asks for the marker alone (a
// conditional GET) and lists the prefix only once it changed, so a deploy that uploads every file
// and then the marker is never seen half done, and an unchanged snapshot costs one request.
import type { S3Client } from '@aws-sdk/client-s3';
import type { FetchJob } from '../protocol.ts';
import { StoreRequestFailed, type ChangeDiscovery } from './change-discovery.ts';
import type { ListingDiscovery } from './discover-listing.ts';
import { failureCode } from './fetch-failure.ts';
import { fetchObject } from './s3-object-source.ts';

export function markerDiscovery(client: S3Client, job: FetchJob, listing: ListingDiscovery, markerKey: string): ChangeDiscovery {
  /** The marker's ETag in the last listing that became the snapshot; undefined while there was none. */
  let markerEtag: string | undefined;

  /** A marker that is not there (yet) changes nothing. */
  async function markerChanged(signal: AbortSignal): Promise<boolean> {
    try {
      return (await fetchObject(client, job, { key: markerKey, ifNoneMatch: markerEtag }, signal)).kind === 'changed';
    } catch (error) {
      if (failureCode(error).code === 'NoSuchKey') return false;
      throw new StoreRequestFailed({ kind: 'fetch', key: markerKey }, error);
    }
  }

  return {
    asked: listing.asked,
    async discover(held, prepare, signal) {
      if (held.size > 0 && !(await markerChanged(signal))) return { kind: 'unchanged', listPages: 0 };
      const discovered = await listing.discover(held, prepare, signal);
      markerEtag = listing.listedEtag(markerKey);
      return discovered;
    },
  };
}
