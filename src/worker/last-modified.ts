// Fetch worker. Whether a version's Last-Modified may stand as a strong validator, which is what
// If-Range with a date needs (RFC 9110 §13.1.5): stores give it to the second, so two versions
// written within one second carry the same date, and a client holding the first half of one would
// be sent the second half of the other. RFC 9110 §8.8.2.2 lets a server treat the date as strong
// only with reliable knowledge that the representation did not change twice within that second;
// the worker has it for the versions it has seen, one after the other.

/** What the worker remembers of the version it served before. */
export interface DatedVersion {
  lastModified: string | undefined;
  /** The body's SHA-256: two versions with the same bytes are one representation. */
  sha256: string;
  lastModifiedStrong: boolean;
}

const sameSecond = (a: string, b: string) => a === b || Date.parse(a) === Date.parse(b);

/**
 * Strong unless the version before carried the same date with other bytes (or was itself weak for
 * it): once a date has been seen on two versions, it stays weak for every later one that has it.
 */
export function lastModifiedIsStrong(previous: DatedVersion | undefined, lastModified: string | undefined, sha256: string): boolean {
  if (previous?.lastModified === undefined || lastModified === undefined || !sameSecond(previous.lastModified, lastModified)) return true;
  return previous.lastModifiedStrong && previous.sha256 === sha256;
}
