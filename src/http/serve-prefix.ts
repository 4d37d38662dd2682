// Serving thread. Requests in prefix mode (S3_PREFIX): the path, percent-decoded as UTF-8, is the
// key relative to the prefix, looked up in the snapshot; only keys of the snapshot exist, so no
// path (`..`, `%2e%2e`, `%2F`, `//`) reaches anything else. In this order: the exact object; a path
// ending in `/` serves that folder's INDEX_DOCUMENT, and `/dir` with no object `dir` but a
// `dir/index.html` is redirected to `/dir/` (301, query kept), as S3 website hosting and nginx do;
// a navigation gets FALLBACK_DOCUMENT with 200 (a single-page app's shell), where set; anything
// else 404, with NOT_FOUND_DOCUMENT's bytes when there is one, so a missing script stays a 404.
// Each object is answered as the one object is (src/http/serve-object.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SnapshotPaths } from '../serving-protocol.ts';
import type { CachedObject, Representation } from './cached-object.ts';
import { isNavigation } from './negotiation.ts';
import { methodNotAllowed, notFound, plainResponse, send } from './plain-responses.ts';
import { serveObject } from './serve-object.ts';
import { nameSnapshot, type ServedFrom } from './snapshot-pins.ts';
import type { Snapshot } from './snapshot.ts';

type PrefixPaths = Extract<SnapshotPaths, { mode: 'prefix' }>;

const badRequest = plainResponse(400, 'Bad Request: the path is not valid percent-encoded UTF-8');
const moved = Buffer.from('Moved Permanently\n');

/** The headers of NOT_FOUND_DOCUMENT's representations as a 404 sends them: no validators, no ranges. */
const notFoundHeaders = new WeakMap<Representation, string[]>();
const notForA404 = new Set(['ETag', 'Last-Modified', 'Accept-Ranges']);

function sendNotFoundDocument(document: CachedObject, req: IncomingMessage, res: ServerResponse): number {
  const representation = document.select(req.headers['accept-encoding']);
  let headers = notFoundHeaders.get(representation);
  if (headers === undefined) {
    const all = representation.okHeaders;
    headers = all.flatMap((value, index) => (index % 2 === 1 || notForA404.has(value) ? [] : [value, all[index + 1]!]));
    notFoundHeaders.set(representation, headers);
  }
  res.writeHead(404, headers);
  res.end(req.method === 'HEAD' ? undefined : representation.body);
  return 404;
}

/** A path that names no object and no folder index: the fallback for a navigation, else 404. */
function sendMissing(snapshot: Snapshot, options: PrefixPaths, req: IncomingMessage, res: ServerResponse, from: ServedFrom): number {
  if (options.fallbackDocument !== undefined) {
    // The answer depends on these: a shared cache must not hand a script the shell, or a browser a 404.
    res.setHeader('Vary', 'Sec-Fetch-Mode, Accept');
    const fallback = snapshot.objects.get(options.fallbackDocument);
    if (fallback !== undefined && isNavigation(req.headers['sec-fetch-mode'], req.headers.accept)) return serveObject(fallback, req, res, from);
  }
  nameSnapshot(res, from);
  const document = options.notFoundDocument === undefined ? undefined : snapshot.objects.get(options.notFoundDocument);
  if (document === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return send(res, notFound);
  return sendNotFoundDocument(document, req, res);
}

/** Answers a request for `path` (the target's path, still percent-encoded) and returns the status sent. */
export function servePrefix(snapshot: Snapshot, path: string, options: PrefixPaths, req: IncomingMessage, res: ServerResponse, from: ServedFrom): number {
  let key = path.slice(1);
  // Most paths hold no escape: decoding them would only copy them.
  if (key.includes('%')) {
    try {
      key = decodeURIComponent(key);
    } catch {
      nameSnapshot(res, from);
      return send(res, badRequest);
    }
  }
  const { indexDocument } = options;
  if (key === '' || key.endsWith('/')) {
    const index = indexDocument === undefined ? undefined : snapshot.objects.get(key + indexDocument);
    return index === undefined ? sendMissing(snapshot, options, req, res, from) : serveObject(index, req, res, from);
  }
  const object = snapshot.objects.get(key);
  if (object !== undefined) return serveObject(object, req, res, from);
  if (indexDocument !== undefined && snapshot.objects.has(`${key}/${indexDocument}`)) {
    nameSnapshot(res, from);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, methodNotAllowed);
    const url = req.url ?? '';
    const query = url.includes('?') ? url.slice(url.indexOf('?')) : '';
    res.writeHead(301, [
      'Location',
      `${path}/${query}`,
      'Content-Type',
      'text/plain; charset=utf-8',
      'Content-Length',
      String(moved.byteLength),
      'Cache-Control',
      options.cacheControl,
    ]);
    res.end(req.method === 'HEAD' ? undefined : moved);
    return 301;
  }
  return sendMissing(snapshot, options, req, res, from);
}
