// Serving thread. The validators a request can send (RFC 9110 §13): If-None-Match,
// If-Modified-Since (only when there is no If-None-Match) and If-Range.

/** If-None-Match: `*`, or a list of entity tags compared weakly. */
export function matchesIfNoneMatch(header: string, etag: string | undefined): boolean {
  if (header.trim() === '*') return true;
  if (etag === undefined) return false;
  const opaque = (tag: string) => (tag.startsWith('W/') ? tag.slice(2) : tag);
  const current = opaque(etag);
  return header.split(',').some((candidate) => opaque(candidate.trim()) === current);
}

/** If-Modified-Since: not modified when Last-Modified is not newer; an invalid date is ignored. */
export function notModifiedSince(header: string, lastModifiedMs: number): boolean {
  const since = Date.parse(header);
  return !Number.isNaN(since) && lastModifiedMs <= since;
}

/**
 * If-Range: the range applies only if the representation is still the one the client holds: a
 * strong entity tag equal to the current one, or exactly the current Last-Modified date where that
 * date is a strong validator (`strongLastModified` undefined: no date matches).
 */
export function ifRangeHolds(header: string | undefined, etag: string | undefined, strongLastModified: string | undefined): boolean {
  if (header === undefined) return true;
  const value = header.trim();
  if (value.startsWith('"') || value.startsWith('W/')) {
    return etag !== undefined && !etag.startsWith('W/') && value === etag;
  }
  if (strongLastModified === undefined) return false;
  const date = Date.parse(value);
  return !Number.isNaN(date) && date === Date.parse(strongLastModified);
}
