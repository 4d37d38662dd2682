// Serving thread. POST {OPS_PREFIX}/refresh: a fetch now, for callers holding REFRESH_TOKEN (a
// deploy script, a MinIO webhook with its auth_token, a Ceph RGW bucket notification, which cannot
// send headers and puts the token in the query). It answers with the fetch's outcome, or 202 at
// once with `?wait=0` (what a store that waits for its notification's answer needs).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RefreshOrigin, RefreshOutcome, RefreshRequest } from '../serving-protocol.ts';
import { plainResponse, send } from './plain-responses.ts';

export interface RefreshEndpointOptions {
  token: string;
  /** Starts (or joins) a fetch that begins after this call; `origin` says whether to pass it on to the peers. */
  request: (origin: RefreshOrigin) => RefreshRequest;
  /** Counts a status sent after the handler returned. */
  count: (status: number) => void;
}

/** Marks a push one replica passes on to the others (PEERS). */
export const passedOnHeader = 's3-object-cache-passed-on';

const postOnly = plainResponse(405, 'Method Not Allowed', ['Allow', 'POST']);
const unauthorized = plainResponse(401, 'Unauthorized', ['WWW-Authenticate', 'Bearer']);

const digest = (text: string) => createHash('sha256').update(text).digest();

function sendJson(res: ServerResponse, status: number, value: RefreshOutcome | { outcome: 'accepted' }): number {
  const body = Buffer.from(`${JSON.stringify(value)}\n`);
  res.writeHead(status, ['Content-Type', 'application/json', 'Content-Length', String(body.byteLength), 'Cache-Control', 'no-store']);
  res.end(body);
  return status;
}

/** Returns the status sent, or undefined when the answer waits for the fetch and counts itself. */
export function createRefreshEndpoint({ token, request, count }: RefreshEndpointOptions) {
  const expected = digest(token);
  // Digests of equal length, compared in constant time: neither the token's length nor its
  // prefix can be found by timing the answers.
  const holdsToken = (given: string | undefined) => given !== undefined && timingSafeEqual(digest(given), expected);

  return (req: IncomingMessage, res: ServerResponse): number | undefined => {
    if (req.method !== 'POST') return send(res, postOnly);
    const url = req.url ?? '';
    const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!holdsToken(bearer ?? query.get('token') ?? undefined)) return send(res, unauthorized);

    // A push passed on by a peer is not passed on again.
    const refresh = request(req.headers[passedOnHeader] === undefined ? 'push' : 'peer');
    if (query.get('wait') === '0') return sendJson(res, 202, { outcome: 'accepted' });
    void refresh.outcome.then((outcome) => count(sendJson(res, outcome.outcome === 'failed' ? 502 : 200, outcome)));
    return undefined;
  };
}
