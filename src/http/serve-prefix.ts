// Serving thread. Requests in prefix mode (S3_PREFIX): the path, percent-decoded as UTF-8, is the
// key relative to the prefix, looked up in the snapshot; only keys of the snapshot exist, so no
// path (`..`, `%2e%2e`, `%2F`, `//`) reaches anything else. A path ending in `/` serves that
// folder's INDEX_DOCUMENT; `/dir` with no object `dir` but a `dir/index.html` is redirected to
// `/dir/` (301, query kept), as S3 website hosting and nginx do; unknown paths get 404, with
// NOT_FOUND_DOCUMENT's bytes when there is one. Each object is answered as the one object is
// (src/http/serve-object.ts): validators, ranges, compression, digests.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SnapshotPaths } from '../serving-protocol.ts';
import type { CachedObject, Representation } from './cached-object.ts';
import { methodNotAllowed, notFound, plainResponse, send } from './plain-responses.ts';
import { serveObject } from './serve-object.ts';
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

function sendNotFound(snapshot: Snapshot, options: PrefixPaths, req: IncomingMessage, res: ServerResponse): number {
  const document = options.notFoundDocument === undefined ? undefined : snapshot.objects.get(options.notFoundDocument);
  if (document === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return send(res, notFound);
  return sendNotFoundDocument(document, req, res);
}

/** Answers a request for `path` (the target's path, still percent-encoded) and returns the status sent. */
export function servePrefix(snapshot: Snapshot, path: string, options: PrefixPaths, req: IncomingMessage, res: ServerResponse): number {
  let key = path.slice(1);
  // Most paths hold no escape: decoding them would only copy them.
  if (key.includes('%')) {
    try {
      key = decodeURIComponent(key);
    } catch {
      return send(res, badRequest);
    }
  }
  const { indexDocument } = options;
  if (key === '' || key.endsWith('/')) {
    const index = indexDocument === undefined ? undefined : snapshot.objects.get(key + indexDocument);
    return index === undefined ? sendNotFound(snapshot, options, req, res) : serveObject(index, req, res);
  }
  const object = snapshot.objects.get(key);
  if (object !== undefined) return serveObject(object, req, res);
  if (indexDocument !== undefined && snapshot.objects.has(`${key}/${indexDocument}`)) {
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
  return sendNotFound(snapshot, options, req, res);
}
