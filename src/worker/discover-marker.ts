// Fetch worker. Prefix mode with SNAPSHOT_MARKER: a refresh first asks for the marker alone (a
// conditional GET) and lists the prefix only once it changed, so a deploy that uploads every file
// and then the marker is never seen half done, and an unchanged snapshot costs one request.
//
// The marker says when to list, not what: a listing taken after the next deploy began shows that
// deploy's files too. Those were written after the marker, so such a listing is refused (the
// refresh is retried, the snapshot held stays served) until the next marker covers them.
import type { S3Client } from '@aws-sdk/client-s3';
import type { FetchJob } from '../protocol.ts';
import { StoreRequestFailed, type ChangeDiscovery } from './change-discovery.ts';
import type { ListingDiscovery } from './discover-listing.ts';
import { failureCode } from './fetch-failure.ts';
import type { ListedObject } from './list-prefix.ts';
import { SnapshotChangedError } from './object-errors.ts';
import { fetchObject } from './s3-object-source.ts';

/**
 * How much later than the marker a file must have been written to belong to the next deploy: a
 * store's gateways stamp objects by their own clocks, which differ by less than this.
 */
export const nextDeployMarginMs = 1_000;

/** Files of `listing` written after its marker (beyond the margin): a deploy under way. */
export function writtenAfterMarker(listing: readonly ListedObject[], markerKey: string): ListedObject[] {
  const markerWrittenAt = listing.find((listed) => listed.key === markerKey)?.lastModified;
  if (markerWrittenAt === undefined) return [];
  return listing.filter((listed) => listed.lastModified !== undefined && listed.lastModified > markerWrittenAt + nextDeployMarginMs);
}

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

  /** At start-up (nothing held) the listing is loaded whatever it shows: there is nothing else to serve. */
  function refuseDeployUnderWay(objects: readonly ListedObject[]): void {
    const later = writtenAfterMarker(objects, markerKey);
    if (later.length === 0) return;
    const detail =
      `${later.length} of its objects (${later[0]!.key} first) were written after the marker ${markerKey}: ` +
      'the next deploy is under way, and is taken whole once its marker is written';
    throw new StoreRequestFailed(listing.asked, new SnapshotChangedError(detail));
  }

  return {
    asked: listing.asked,
    async discover(held, prepare, signal) {
      if (held.size > 0 && !(await markerChanged(signal))) return { kind: 'unchanged', listPages: 0 };
      const discovered = await listing.discover(held, prepare, signal, held.size > 0 ? refuseDeployUnderWay : undefined);
      markerEtag = listing.listedEtag(markerKey);
      return discovered;
    },
  };
}
