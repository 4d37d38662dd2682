// Serving thread. Routes a request: the object at `/` (or, in prefix mode, the snapshot's objects
// at their paths), the operations endpoints under their prefix, 404 elsewhere; a listener may
// serve only one of the two. In prefix mode the operations endpoints win over an object of the
// same path. This is the hot path: no allocation beyond what node:http needs, no logging at info
// level.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { AccessLogEntry, SiteOptions } from '../serving-protocol.ts';
import type { CachedObject } from './cached-object.ts';
import { createOpsEndpoints, type OpsEndpointsOptions } from './ops-endpoints.ts';
import { notFound, send } from './plain-responses.ts';
import { serveObject } from './serve-object.ts';
import { serveSite } from './serve-site.ts';
import type { Snapshot } from './snapshot.ts';

export interface RequestHandlerOptions {
  /** Read once per request: a refresh swaps `current` whole. Undefined: this listener serves no object. */
  cache: { readonly current: CachedObject } | undefined;
  /** Prefix mode, instead of `cache`: the snapshot, read once per request, and how paths map to it. */
  site?: { holder: { readonly current: Snapshot }; options: SiteOptions } | undefined;
  lifecycle: { readonly stopping: boolean };
  /** Counts each status sent (the thread's row of the shared request counters). */
  count: (status: number) => void;
  /** Undefined: this listener serves no operations endpoints. */
  ops: Omit<OpsEndpointsOptions, 'count' | 'isReady'> | undefined;
  /** Every request, when LOG_LEVEL=debug; undefined costs nothing per request. */
  accessLog: ((entry: AccessLogEntry) => void) | undefined;
}

/**
 * The path of a request target: origin form (`/path?query`) or absolute form
 * (`http://host:8000/path`, what a client configured to use the service as its proxy sends;
 * RFC 9112 §3.2.2 says a server MUST accept it).
 */
export function targetPath(url: string): string {
  let start = 0;
  if (url[0] !== '/') {
    const authority = url.indexOf('//');
    if (authority === -1) return url; // `*` and other forms: no object there
    start = url.indexOf('/', authority + 2);
    if (start === -1) return '/';
  }
  const queryStart = url.indexOf('?', start);
  return queryStart === -1 ? (start === 0 ? url : url.slice(start)) : url.slice(start, queryStart);
}

export function createRequestHandler(options: RequestHandlerOptions): RequestListener {
  const { cache, site, lifecycle, count, accessLog } = options;
  const opsPrefix = options.ops?.prefix;
  const ops = options.ops === undefined ? undefined : createOpsEndpoints({ ...options.ops, count, isReady: () => !lifecycle.stopping });

  /** Returns the status sent, or undefined when the answer comes later and counts itself. */
  const route = (req: IncomingMessage, res: ServerResponse): number | undefined => {
    const path = targetPath(req.url ?? '');
    if (path === '/' && cache !== undefined) return serveObject(cache.current, req, res);
    if (ops !== undefined && path.startsWith(opsPrefix!) && path[opsPrefix!.length] === '/') {
      return ops(path.slice(opsPrefix!.length), req, res);
    }
    if (site !== undefined && path[0] === '/') return serveSite(site.holder.current, path, site.options, req, res);
    return send(res, notFound);
  };

  const handle: RequestListener = (req, res) => {
    // While stopping, answer but tell the client not to reuse the connection.
    if (lifecycle.stopping) res.shouldKeepAlive = false;
    const status = route(req, res);
    if (status !== undefined) count(status);
  };

  if (accessLog === undefined) return handle;
  return (req, res) => {
    const startedAt = performance.now();
    res.once('finish', () => {
      const durationMs = Math.round((performance.now() - startedAt) * 1000) / 1000;
      accessLog({ method: req.method, url: req.url, status: res.statusCode, durationMs });
    });
    handle(req, res);
  };
}
