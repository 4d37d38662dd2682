// Fetch worker. What a refresh of a prefix has to do, from the listing and the snapshot held:
// unchanged objects (same key, ETag and size) keep their memory and cost nothing; new and changed
// ones are fetched; keys no longer listed leave the snapshot.
import type { ListedObject } from './prefix-listing.ts';

export interface HeldVersion {
  etag: string;
  size: number;
}

export interface RefreshPlan {
  fetch: ListedObject[];
  /** Paths held but no longer listed. */
  removed: string[];
  unchanged: number;
}

export function planRefresh(held: ReadonlyMap<string, HeldVersion>, listed: readonly ListedObject[]): RefreshPlan {
  const fetch: ListedObject[] = [];
  const listedPaths = new Set<string>();
  for (const object of listed) {
    listedPaths.add(object.path);
    const version = held.get(object.path);
    if (version === undefined || version.etag !== object.etag || version.size !== object.size) fetch.push(object);
  }
  const removed = [...held.keys()].filter((path) => !listedPaths.has(path));
  return { fetch, removed, unchanged: listed.length - fetch.length };
}
