// Serving thread. GET and HEAD of the object: its redirect where its metadata has one, else content
// negotiation, then the conditional requests in RFC 9110 §13.2.2 order (If-None-Match, else
// If-Modified-Since), then Range with If-Range.
// Everything but the per-request range headers was computed when the version arrived.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { rangeNotSatisfiable, type CachedObject, type Representation } from './cached-object.ts';
import { ifRangeHolds, matchesIfNoneMatch, notModifiedSince } from './conditionals.ts';
import { methodNotAllowed, send } from './plain-responses.ts';
import { planRanges, type ByteRange } from './ranges.ts';
import { answerHeaders, nameSnapshot, type ServedFrom } from './snapshot-pins.ts';

/** The request headers this module reads, gathered in one pass over the raw list. */
interface ObjectRequestHeaders {
  acceptEncoding: string | undefined;
  ifNoneMatch: string | undefined;
  ifModifiedSince: string | undefined;
  range: string | undefined;
  ifRange: string | undefined;
}

/**
 * Reads them from `rawHeaders`: `req.headers` is built on first use, an object of every header per
 * request that the hot path does not otherwise need. Repeated list headers are joined as HTTP does.
 */
function objectRequestHeaders(req: IncomingMessage): ObjectRequestHeaders {
  const found: ObjectRequestHeaders = {
    acceptEncoding: undefined,
    ifNoneMatch: undefined,
    ifModifiedSince: undefined,
    range: undefined,
    ifRange: undefined,
  };
  const raw = req.rawHeaders;
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index]!;
    // Cheap length test first: most headers (Host, User-Agent, Accept, ...) are none of these.
    let field: keyof ObjectRequestHeaders;
    switch (name.length) {
      case 5:
        if (name.toLowerCase() !== 'range') continue;
        field = 'range';
        break;
      case 8:
        if (name.toLowerCase() !== 'if-range') continue;
        field = 'ifRange';
        break;
      case 13:
        if (name.toLowerCase() !== 'if-none-match') continue;
        field = 'ifNoneMatch';
        break;
      case 15:
        if (name.toLowerCase() !== 'accept-encoding') continue;
        field = 'acceptEncoding';
        break;
      case 17:
        if (name.toLowerCase() !== 'if-modified-since') continue;
        field = 'ifModifiedSince';
        break;
      default:
        continue;
    }
    const value = raw[index + 1]!;
    const previous = found[field];
    found[field] = previous === undefined ? value : `${previous}, ${value}`;
  }
  return found;
}

/**
 * Answers GET or HEAD of the object and returns the status sent. `from`: the snapshot it comes
 * from, the cookie an HTML document sets (SKEW_PROTECTION), whether the snapshot is a retained one.
 */
export function serveObject(object: CachedObject, req: IncomingMessage, res: ServerResponse, from: ServedFrom): number {
  const method = req.method;
  if (method !== 'GET' && method !== 'HEAD') {
    nameSnapshot(res, from);
    return send(res, methodNotAllowed);
  }
  if (object.redirect !== undefined) {
    res.writeHead(301, answerHeaders(object.redirect, from));
    res.end();
    return 301;
  }
  const headers = objectRequestHeaders(req);
  const representation = object.select(headers.acceptEncoding);
  const cookie = from.cookie !== undefined && representation.contentType.startsWith('text/html') ? from.cookie : undefined;
  // The common answer (current snapshot, no cookie) takes a list kept per representation.
  const plain = !from.retained && cookie === undefined;
  const extra = cookie === undefined ? from.named : [...from.named, 'Set-Cookie', cookie];

  const notModified =
    headers.ifNoneMatch !== undefined
      ? matchesIfNoneMatch(headers.ifNoneMatch, representation.etag)
      : headers.ifModifiedSince !== undefined &&
        object.lastModifiedMs !== undefined &&
        notModifiedSince(headers.ifModifiedSince, object.lastModifiedMs);
  if (notModified) {
    res.writeHead(304, (plain ? representation.named(304, from.named) : answerHeaders(representation.notModifiedHeaders, from, extra)) as string[]);
    res.end();
    return 304;
  }

  // Range is defined for GET only; If-Range that no longer holds means: send it all.
  if (method === 'GET' && headers.range !== undefined && ifRangeHolds(headers.ifRange, representation.etag, object.strongLastModified)) {
    const plan = planRanges(headers.range, representation.body.byteLength);
    if (plan.kind === 'unsatisfiable') {
      res.writeHead(416, answerHeaders(representation.unsatisfiableHeaders, from, extra));
      res.end(rangeNotSatisfiable);
      return 416;
    }
    if (plan.kind === 'parts') {
      const [only] = plan.parts;
      if (plan.parts.length === 1) return sendRange(representation, only!, res, answerHeaders(representation.partialHeaders, from, extra));
      // Parts of a compressed representation in a multipart body would sit under a
      // Content-Encoding that covers the whole message: send the representation whole instead.
      if (representation.encoding === 'identity') return sendMultipart(representation, plan.parts, res, answerHeaders(representation.partialHeaders, from, extra));
    }
  }

  res.writeHead(200, (plain ? representation.named(200, from.named) : answerHeaders(representation.okHeaders, from, extra)) as string[]);
  res.end(method === 'HEAD' ? undefined : representation.body);
  return 200;
}

function contentRange([first, last]: ByteRange, length: number): string {
  return `bytes ${first}-${last}/${length}`;
}

/** `described`: the 206's headers beyond Content-Type, Content-Length and Content-Range. */
function sendRange(representation: Representation, range: ByteRange, res: ServerResponse, described: readonly string[]): number {
  const [first, last] = range;
  res.writeHead(206, [
    'Content-Type',
    representation.contentType,
    'Content-Length',
    String(last - first + 1),
    'Content-Range',
    contentRange(range, representation.body.byteLength),
    ...described,
  ]);
  res.end(representation.body.subarray(first, last + 1));
  return 206;
}

/** multipart/byteranges (RFC 9110 §14.6), the parts in the order the client asked for them. */
function sendMultipart(representation: Representation, parts: readonly ByteRange[], res: ServerResponse, described: readonly string[]): number {
  const boundary = `s3-object-cache-${representation.etag?.replace(/\W/g, '') ?? 'parts'}`;
  const length = representation.body.byteLength;
  const heads = parts.map(
    (range) => `\r\n--${boundary}\r\nContent-Type: ${representation.contentType}\r\nContent-Range: ${contentRange(range, length)}\r\n\r\n`,
  );
  const tail = `\r\n--${boundary}--\r\n`;
  const bodyLength =
    heads.reduce((sum, head) => sum + Buffer.byteLength(head), 0) +
    parts.reduce((sum, [first, last]) => sum + last - first + 1, 0) +
    tail.length;
  res.writeHead(206, [
    'Content-Type',
    `multipart/byteranges; boundary=${boundary}`,
    'Content-Length',
    String(bodyLength),
    ...described,
  ]);
  res.cork();
  parts.forEach(([first, last], index) => {
    res.write(heads[index]!);
    res.write(representation.body.subarray(first, last + 1));
  });
  res.end(tail);
  return 206;
}
