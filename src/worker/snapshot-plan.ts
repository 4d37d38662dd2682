// Fetch worker. What a refresh of a prefix has to do, from the listing and the snapshot held:
// unchanged objects (same key, ETag and size) keep their memory and cost nothing; new and changed
// ones are fetched, unless an attempt that raced with a change already fetched that very version
// (`staged`); keys no longer listed leave the snapshot.
import type { ListedObject } from './list-prefix.ts';

/** What a held or staged object is compared on (a FetchedObject has both). */
export interface HeldVersion {
  etag: string | undefined;
  body: { byteLength: number };
}

export interface RefreshPlan {
  fetch: ListedObject[];
  /** Listed versions an earlier, raced attempt fetched: taken from `staged`, not fetched again. */
  reuse: ListedObject[];
  /** Paths held but no longer listed. */
  removed: string[];
  unchanged: number;
}

/** ETags as stores write them: quoted or not, sometimes weak in a listing. */
export const sameEtag = (a: string | undefined, b: string) =>
  a?.replace(/^W\//, '').replaceAll('"', '') === b.replace(/^W\//, '').replaceAll('"', '');

const same = (version: HeldVersion | undefined, listed: ListedObject) =>
  version !== undefined && sameEtag(version.etag, listed.etag) && version.body.byteLength === listed.size;

export function planRefresh(
  held: ReadonlyMap<string, HeldVersion>,
  listed: readonly ListedObject[],
  staged: ReadonlyMap<string, HeldVersion> = new Map(),
): RefreshPlan {
  const fetch: ListedObject[] = [];
  const reuse: ListedObject[] = [];
  const listedPaths = new Set<string>();
  for (const object of listed) {
    listedPaths.add(object.path);
    if (same(held.get(object.path), object)) continue;
    if (same(staged.get(object.path), object)) reuse.push(object);
    else fetch.push(object);
  }
  const removed = [...held.keys()].filter((path) => !listedPaths.has(path));
  return { fetch, reuse, removed, unchanged: listed.length - fetch.length - reuse.length };
}
