// One version of the object as the HTTP layer serves it. Everything a response needs is computed
// here, once per refresh; a refresh replaces the whole entry, so no response mixes two versions.
import type { FetchedObject } from './protocol.ts';

export interface CachedObject {
  readonly body: Buffer;
  readonly etag: string | undefined;
  /** Flat [name, value, ...] lists, the cheapest form `writeHead` takes. */
  readonly okHeaders: readonly string[];
  readonly notModifiedHeaders: readonly string[];
}

export function toCachedObject(fetched: FetchedObject, cacheControl: string): CachedObject {
  const body = Buffer.from(fetched.body); // a view on the transferred memory, not a copy
  const validators = [
    ...(fetched.etag === undefined ? [] : ['ETag', fetched.etag]),
    ...(fetched.lastModified === undefined ? [] : ['Last-Modified', fetched.lastModified]),
    'Cache-Control',
    cacheControl,
  ];
  return {
    body,
    etag: fetched.etag,
    okHeaders: [
      'Content-Type',
      fetched.contentType ?? 'application/octet-stream',
      'Content-Length',
      String(body.byteLength),
      ...validators,
    ],
    notModifiedHeaders: validators,
  };
}

/** Cache-Control for a copy that is at most one refresh interval old. */
export function cacheControlFor(refreshIntervalMs: number): string {
  return `public, max-age=${Math.floor(refreshIntervalMs / 1000)}`;
}

/** RFC 9110 If-None-Match: `*`, or a list of entity tags compared weakly. */
export function matchesIfNoneMatch(header: string, etag: string | undefined): boolean {
  if (header.trim() === '*') return true;
  if (etag === undefined) return false;
  const opaque = (tag: string) => (tag.startsWith('W/') ? tag.slice(2) : tag);
  const current = opaque(etag);
  return header.split(',').some((candidate) => opaque(candidate.trim()) === current);
}
