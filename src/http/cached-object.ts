// Serving thread. One object of a snapshot as the HTTP layer serves it: its representations
// (the bytes, and the compressed forms the worker prepared), each with the header list of a 200
// computed here once per refresh, and the lists of rarer answers derived from it when asked. A
// refresh replaces the whole entry, so no response mixes two versions.
import { validateHeaderValue } from 'node:http';
import type { Encoding, FetchedObject } from '../protocol.ts';
import { chooseEncoding } from './negotiation.ts';

/** The body of a 416, whose length every version's 416 headers carry. */
export const rangeNotSatisfiable = Buffer.from('Range Not Satisfiable\n');

/** Where the 200's list has what a 304 and a 206 send (Content-Type and Content-Length come first). */
const describedFrom = 4;

/**
 * One representation and its header lists: flat [name, value, ...] lists, the cheapest form
 * `writeHead` takes. Only the 200's is built up front: in prefix mode a snapshot holds thousands of
 * representations, most of which never answer a 304, a 206 or a 416.
 */
export class Representation {
  readonly encoding: Encoding | 'identity';
  readonly body: Buffer;
  readonly etag: string | undefined;
  readonly contentType: string;
  /** 200 and HEAD. */
  readonly okHeaders: readonly string[];
  readonly #validators: { from: number; to: number };
  readonly #varies: boolean;
  #notModifiedHeaders: readonly string[] | undefined;
  #namedOk: { by: readonly string[]; headers: readonly string[] } | undefined;
  #namedNotModified: { by: readonly string[]; headers: readonly string[] } | undefined;

  constructor(
    fields: Pick<Representation, 'encoding' | 'body' | 'etag' | 'contentType' | 'okHeaders'>,
    validators: { from: number; to: number },
    varies: boolean,
  ) {
    ({ encoding: this.encoding, body: this.body, etag: this.etag, contentType: this.contentType, okHeaders: this.okHeaders } = fields);
    this.#validators = validators;
    this.#varies = varies;
  }

  /** 304: the validators alone; kept once asked for (revalidations come again). */
  get notModifiedHeaders(): readonly string[] {
    return (this.#notModifiedHeaders ??= this.okHeaders.slice(this.#validators.from, this.#validators.to));
  }

  /**
   * A 200's or a 304's list with the snapshot's name (`Snapshot-Id`) appended, kept for the
   * snapshot that last asked: an entry outlives snapshots, but one is current at a time, so the
   * hot path allocates nothing.
   */
  named(status: 200 | 304, snapshot: readonly string[]): readonly string[] {
    const kept = status === 200 ? this.#namedOk : this.#namedNotModified;
    if (kept?.by === snapshot) return kept.headers;
    const headers = (status === 200 ? this.okHeaders : this.notModifiedHeaders).concat(snapshot);
    if (status === 200) this.#namedOk = { by: snapshot, headers };
    else this.#namedNotModified = { by: snapshot, headers };
    return headers;
  }

  /** 206: everything but Content-Type, Content-Length and Content-Range, added per request. */
  get partialHeaders(): readonly string[] {
    return this.okHeaders.slice(describedFrom);
  }

  get unsatisfiableHeaders(): readonly string[] {
    return [
      'Content-Type',
      'text/plain; charset=utf-8',
      'Content-Length',
      String(rangeNotSatisfiable.byteLength),
      'Content-Range',
      `bytes */${this.body.byteLength}`,
      ...(this.#varies ? ['Vary', 'Accept-Encoding'] : []),
    ];
  }
}

export interface CachedObject {
  /** Where the object's redirect metadata points: the headers of its 301, which every request gets. */
  readonly redirect: readonly string[] | undefined;
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

/** Accept-Encoding values seen, remembered per version; a bound keeps odd clients from growing it. */
const rememberedSelections = 64;

/**
 * Builds the entry, checking what the store sent once here rather than failing on every request:
 * a value node:http would refuse, or a Last-Modified that is not a date, is left out.
 * `defaultCacheControl` is sent unless the object has its own (hashed assets marked immutable).
 */
export function toCachedObject(fetched: FetchedObject, defaultCacheControl: string): PreparedObject {
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
  const cacheControl = servable('Cache-Control', fetched.cacheControl) ?? defaultCacheControl;
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
    const encodingHeader = encoding === 'identity' ? [] : ['Content-Encoding', encoding];
    const okHeaders = [
      'Content-Type',
      contentType,
      'Content-Length',
      String(body.byteLength),
      ...encodingHeader,
      ...validators,
      'Accept-Ranges',
      'bytes',
      'Repr-Digest',
      `sha-256=:${sha256}:`,
    ];
    const from = describedFrom + encodingHeader.length;
    return new Representation({ encoding, body, etag: ownEtag, contentType, okHeaders }, { from, to: from + validators.length }, varies);
  };

  const identity = representation('identity', fetched.body, fetched.sha256);
  const variants = fetched.variants.map((variant) => representation(variant.encoding, variant.body, variant.sha256));
  const representations = [identity, ...variants];
  const offered = variants.map((variant) => variant.encoding);
  let selections: Map<string, Representation> | undefined; // created by the first request that has a choice
  const select = (acceptEncoding: string | undefined): Representation => {
    if (acceptEncoding === undefined || variants.length === 0) return identity;
    selections ??= new Map();
    let chosen = selections.get(acceptEncoding);
    if (chosen === undefined) {
      const encoding = chooseEncoding(acceptEncoding, offered);
      chosen = representations.find((candidate) => candidate.encoding === encoding) ?? identity;
      if (selections.size >= rememberedSelections) selections.clear();
      selections.set(acceptEncoding, chosen);
    }
    return chosen;
  };

  const location = servable('Location', fetched.redirectLocation);
  return {
    object: {
      redirect: location === undefined ? undefined : ['Location', location, 'Content-Length', '0', 'Cache-Control', cacheControl],
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

/** Cache-Control for a copy that is at most one refresh interval old; `private` where only some clients may read it. */
export function cacheControlFor(refreshIntervalMs: number, audience: 'public' | 'private'): string {
  return `${audience}, max-age=${Math.floor(refreshIntervalMs / 1000)}`;
}
