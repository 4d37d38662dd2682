// Fetch worker. Prefix mode's discovery: one listing of the prefix (src/worker/list-prefix.ts),
// compared with the snapshot held (src/worker/snapshot-plan.ts); new and changed objects are
// fetched (FETCH_CONCURRENCY at once) with If-Match set to the listed ETag, removed ones leave.
//
// An object that changed again between the listing and its GET (412, another ETag, gone) means
// that listing cannot be served whole: SnapshotChangedError, which the refresh retries with
// back-off whatever the mode while the snapshot held stays served. The objects that attempt did
// fetch are kept (`staged`), and the retry fetches only what changed since: under a steady
// trickle of changes the next snapshot converges instead of starting over each time.
import type { S3Client } from '@aws-sdk/client-s3';
import { contentType as typeByExtension } from 'mime-types';
import pLimit from 'p-limit';
import type { FetchJob, FetchedObject } from '../protocol.ts';
import { StoreRequestFailed, type ChangeDiscovery, type Discovery, type HeldSnapshot, type Prepare } from './change-discovery.ts';
import { failureCode, type StoreOperation } from './fetch-failure.ts';
import { ListedObjectTooLarge, listPrefix, type ListedObject } from './list-prefix.ts';
import { ObjectError, SnapshotChangedError } from './object-errors.ts';
import { fetchObject } from './s3-object-source.ts';
import { planRefresh, sameEtag } from './snapshot-plan.ts';

/** Nothing under the prefix: most likely a mistaken S3_PREFIX, and never a snapshot to serve. */
class EmptyPrefixError extends ObjectError {
  readonly code = 'EmptyPrefix';
  readonly fix = 'upload the objects or set S3_PREFIX to where they are';
}

const genericTypes = new Set(['binary/octet-stream', 'application/octet-stream']);

/** The store's Content-Type, unless it has none or only a generic one: then one from the path's extension. */
export function servedContentType(storeType: string | undefined, path: string): string | undefined {
  const essence = storeType?.split(';')[0]!.trim().toLowerCase();
  if (essence !== undefined && essence !== '' && !genericTypes.has(essence)) return storeType;
  return typeByExtension(path.slice(path.lastIndexOf('/') + 1)) || storeType;
}

export interface ListingDiscovery extends ChangeDiscovery {
  /** `admit` sees the listing before anything is fetched, and throws StoreRequestFailed to refuse it. */
  discover(held: HeldSnapshot, prepare: Prepare, signal: AbortSignal, admit?: (listing: readonly ListedObject[]) => void): Promise<Discovery>;
  /** The ETag of `key` in the last listing that was fetched whole. */
  listedEtag(key: string): string | undefined;
}

export function listingDiscovery(client: S3Client, job: FetchJob): ListingDiscovery {
  const prefix = job.prefix!;
  const asked = { kind: 'list', prefix } as const;
  /** Fetched by an attempt that raced with a change, not yet part of a snapshot. */
  const staged = new Map<string, FetchedObject>();
  let lastListing: readonly ListedObject[] = [];

  /** One new or changed object, the version the listing showed. */
  async function fetchListed(listed: ListedObject, prepare: Prepare, signal: AbortSignal): Promise<FetchedObject> {
    const operation: StoreOperation = { kind: 'fetch', key: listed.key };
    let result;
    try {
      result = await fetchObject(client, job, { key: listed.key, ifMatch: listed.etag }, signal);
    } catch (error) {
      const { code, httpStatus } = failureCode(error);
      const raced = httpStatus === 412 || code === 'PreconditionFailed' || code === 'NoSuchKey';
      throw new StoreRequestFailed(operation, raced ? new SnapshotChangedError(`it changed between the listing and its GET (${code})`) : error);
    }
    // Without If-None-Match a 304 cannot come (fetchObject throws UnexpectedNotModified).
    if (result.kind !== 'changed') throw new StoreRequestFailed(operation, new Error('a 304 to a GET without If-None-Match'));
    // A store that ignores If-Match (s3rver) answers with whatever it holds now.
    if (!sameEtag(result.object.etag, listed.etag)) {
      const detail = `it changed between the listing and its GET (ETag ${result.object.etag}, listed ${listed.etag})`;
      throw new StoreRequestFailed(operation, new SnapshotChangedError(detail));
    }
    return prepare(listed.path, { ...result.object, contentType: servedContentType(result.object.contentType, listed.path) });
  }

  /**
   * Every GET of `objects`, FETCH_CONCURRENCY at a time, each one staged as it arrives. A failure
   * cancels the others; a race does not (what the others fetch is staged for the retry), and is
   * thrown once they have all ended.
   */
  async function fetchAll(objects: readonly ListedObject[], prepare: Prepare, signal: AbortSignal): Promise<void> {
    const limit = pLimit(job.fetchConcurrency);
    const cancel = new AbortController();
    const either = AbortSignal.any([signal, cancel.signal]);
    let race: StoreRequestFailed | undefined;
    const fetches = objects.map((listed) =>
      limit(async () => {
        try {
          staged.set(listed.path, await fetchListed(listed, prepare, either));
        } catch (error) {
          if (error instanceof StoreRequestFailed && error.failure instanceof SnapshotChangedError) race ??= error;
          else {
            cancel.abort();
            limit.clearQueue();
            throw error;
          }
        }
      }),
    );
    const ended = await Promise.allSettled(fetches);
    const failed = ended.find((outcome) => outcome.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    if (race !== undefined) throw race;
  }

  return {
    asked,
    listedEtag: (key) => lastListing.find((listed) => listed.key === key)?.etag,
    async discover(held, prepare, signal, admit) {
      let listing;
      try {
        listing = await listPrefix(client, { ...job, prefix }, signal);
      } catch (error) {
        if (error instanceof ListedObjectTooLarge) throw new StoreRequestFailed({ kind: 'fetch', key: error.key }, error);
        throw new StoreRequestFailed(asked, error);
      }
      if (listing.objects.length === 0) throw new StoreRequestFailed(asked, new EmptyPrefixError(`no object under s3://${job.bucket}/${prefix}`));
      admit?.(listing.objects);
      const plan = planRefresh(held, listing.objects, staged);
      const listPages = listing.pages;
      if (held.size > 0 && plan.fetch.length === 0 && plan.reuse.length === 0 && plan.removed.length === 0) {
        lastListing = listing.objects;
        return { kind: 'unchanged', listPages };
      }
      await fetchAll(plan.fetch, prepare, signal);
      // Every version this listing showed is fetched (now, or by an attempt that raced): the next snapshot.
      const changes = [...plan.fetch, ...plan.reuse].map(({ path }) => ({ path, object: staged.get(path)! }));
      staged.clear();
      lastListing = listing.objects;
      return { kind: 'changed', changes, removed: plan.removed, listPages };
    },
  };
}
