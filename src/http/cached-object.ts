// Serving thread. One version of the object as the HTTP layer serves it: its representations
// (the bytes, and the compressed forms the worker prepared), each with every header list a response
// needs, computed here once per refresh. A refresh replaces the whole entry, so no response mixes
// two versions.
import { validateHeaderValue } from 'node:http';
import type { Encoding, FetchedObject } from '../protocol.ts';
import { chooseEncoding } from './negotiation.ts';

export interface Representation {
  readonly encoding: Encoding | 'identity';
  readonly body: Buffer;
  readonly etag: string | undefined;
  readonly contentType: string;
  /** Flat [name, value, ...] lists, the cheapest form `writeHead` takes. 200 and HEAD: */
  readonly okHeaders: readonly string[];
  readonly notModifiedHeaders: readonly string[];
  /** 206: everything but Content-Type, Content-Length and Content-Range, added per request. */
  readonly partialHeaders: readonly string[];
  readonly unsatisfiableHeaders: readonly string[];
}

export interface CachedObject {
  /** The object's own bytes first, then the prepared encodings in order of preference. */
  readonly representations: readonly Representation[];
  readonly identity: Representation;
  /** Bytes held, all representations together. */
  readonly heldBytes: number;
  readonly lastModified: string | undefined;
  readonly lastModifiedMs: number | undefined;
  /** Last-Modified where it is a strong validator (If-Range may match it), else undefined. */
  readonly strongLastModified: string | undefined;
  /** The representation a request's Accept-Encoding selects. */
  select(acceptEncoding: string | undefined): Representation;
}

export interface PreparedObject {
  object: CachedObject;
  /** Header values from the store that could not be served, each a line for the log. */
  dropped: string[];
}

/** The body of a 416, whose length every version's 416 headers carry. */
export const rangeNotSatisfiable = Buffer.from('Range Not Satisfiable\n');

/** Accept-Encoding values seen, remembered per version; a bound keeps odd clients from growing it. */
const rememberedSelections = 64;

/**
 * Builds the entry, checking what the store sent once here rather than failing on every request:
 * a value node:http would refuse, or a Last-Modified that is not a date, is left out.
 * `cacheControl` is sent unless `ownCacheControl` (prefix mode) and the object has its own.
 */
export function toCachedObject(fetched: FetchedObject, defaultCacheControl: string, { ownCacheControl = false } = {}): PreparedObject {
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
  const cacheControl = (ownCacheControl ? servable('Cache-Control', fetched.cacheControl) : undefined) ?? defaultCacheControl;
  const varies = fetched.variants.length > 0;

  const representation = (encoding: Encoding | 'identity', bytes: SharedArrayBuffer, sha256: string): Representation => {
    const body = Buffer.from(bytes); // a view on the shared memory, not a copy
    const ownEtag = encoding === 'identity' ? etag : variantEtag(etag, encoding);
    const validators = [
      ...(ownEtag === undefined ? [] : ['ETag', ownEtag]),
      ...(lastModified === undefined ? [] : ['Last-Modified', lastModified]),
      'Cache-Control',
      cacheControl,
      ...(varies ? ['Vary', 'Accept-Encoding'] : []),
    ];
    const described = [
      ...(encoding === 'identity' ? [] : ['Content-Encoding', encoding]),
      ...validators,
      'Accept-Ranges',
      'bytes',
      'Repr-Digest',
      `sha-256=:${sha256}:`,
    ];
    return {
      encoding,
      body,
      etag: ownEtag,
      contentType,
      okHeaders: ['Content-Type', contentType, 'Content-Length', String(body.byteLength), ...described],
      notModifiedHeaders: validators,
      partialHeaders: described,
      unsatisfiableHeaders: [
        'Content-Type',
        'text/plain; charset=utf-8',
        'Content-Length',
        String(rangeNotSatisfiable.byteLength),
        'Content-Range',
        `bytes */${body.byteLength}`,
        ...(varies ? ['Vary', 'Accept-Encoding'] : []),
      ],
    };
  };

  const identity = representation('identity', fetched.body, fetched.sha256);
  const variants = fetched.variants.map((variant) => representation(variant.encoding, variant.body, variant.sha256));
  const representations = [identity, ...variants];
  const offered = variants.map((variant) => variant.encoding);
  const selections = new Map<string, Representation>();
  const select = (acceptEncoding: string | undefined): Representation => {
    if (acceptEncoding === undefined || variants.length === 0) return identity;
    let chosen = selections.get(acceptEncoding);
    if (chosen === undefined) {
      const encoding = chooseEncoding(acceptEncoding, offered);
      chosen = representations.find((candidate) => candidate.encoding === encoding) ?? identity;
      if (selections.size >= rememberedSelections) selections.clear();
      selections.set(acceptEncoding, chosen);
    }
    return chosen;
  };

  return {
    object: {
      representations,
      identity,
      heldBytes: representations.reduce((sum, { body }) => sum + body.byteLength, 0),
      lastModified,
      lastModifiedMs: lastModified === undefined ? undefined : Date.parse(lastModified),
      strongLastModified: fetched.lastModifiedStrong ? lastModified : undefined,
      select,
    },
    dropped,
  };
}

/** Each representation has its own strong validator: the store's, with the encoding appended. */
function variantEtag(etag: string | undefined, encoding: Encoding): string | undefined {
  if (etag === undefined || !etag.endsWith('"')) return undefined;
  return `${etag.slice(0, -1)}-${encoding}"`;
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
