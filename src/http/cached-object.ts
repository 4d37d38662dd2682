// Serving thread. One version of the object as the HTTP layer serves it. Everything a response
// needs is computed here, once per refresh; a refresh replaces the whole entry, so no response
// mixes two versions.
import { validateHeaderValue } from 'node:http';
import type { FetchedObject } from '../protocol.ts';

export interface CachedObject {
  readonly body: Buffer;
  readonly etag: string | undefined;
  /** Flat [name, value, ...] lists, the cheapest form `writeHead` takes. */
  readonly okHeaders: readonly string[];
  readonly notModifiedHeaders: readonly string[];
}

export interface PreparedObject {
  object: CachedObject;
  /** Header values from the store that could not be served, each a line for the log. */
  dropped: string[];
}

/**
 * Builds the entry, checking what the store sent once here rather than failing on every request:
 * a value node:http would refuse, or a Last-Modified that is not a date, is left out.
 */
export function toCachedObject(fetched: FetchedObject, cacheControl: string): PreparedObject {
  const dropped: string[] = [];
  const servable = (name: string, value: string | undefined): string | undefined => {
    if (value === undefined) return undefined;
    try {
      validateHeaderValue(name, value);
      return value;
    } catch {
      dropped.push(`the store sent a ${name} that HTTP cannot carry (${JSON.stringify(value)}); it is not served`);
      return undefined;
    }
  };
  const etag = servable('ETag', fetched.etag);
  const lastModified = httpDate(fetched.lastModified);
  if (fetched.lastModified !== undefined && lastModified === undefined) {
    dropped.push(`the store sent a Last-Modified that is not a date (${JSON.stringify(fetched.lastModified)}); it is not served`);
  }
  const contentType = servable('Content-Type', fetched.contentType) ?? 'application/octet-stream';

  const body = Buffer.from(fetched.body); // a view on the transferred memory, not a copy
  const validators = [
    ...(etag === undefined ? [] : ['ETag', etag]),
    ...(lastModified === undefined ? [] : ['Last-Modified', lastModified]),
    'Cache-Control',
    cacheControl,
  ];
  return {
    object: {
      body,
      etag,
      okHeaders: ['Content-Type', contentType, 'Content-Length', String(body.byteLength), ...validators],
      notModifiedHeaders: validators,
    },
    dropped,
  };
}

/** A store's date in the one form HTTP sends (RFC 9110 IMF-fixdate), or undefined if unreadable. */
function httpDate(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toUTCString();
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
