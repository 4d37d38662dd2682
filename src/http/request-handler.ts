// Serving thread. Routes a request: the object at `/`, the operations endpoints under their
// prefix, 404 elsewhere; a listener may serve only one of the two. This is the hot path: no
// allocation beyond what node:http needs, no logging at info level.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from '../main/logger.ts';
import type { ServiceMetrics } from '../main/metrics.ts';
import { matchesIfNoneMatch, type CachedObject } from './cached-object.ts';
import { createOpsEndpoints } from './ops-endpoints.ts';
import { methodNotAllowed, notFound, send } from './plain-responses.ts';

export interface RequestHandlerOptions {
  /** Read once per request: a refresh swaps `current` whole. Undefined: this listener serves no object. */
  cache: { readonly current: CachedObject } | undefined;
  lifecycle: { readonly stopping: boolean };
  metrics: ServiceMetrics;
  /** Undefined: this listener serves no operations endpoints. */
  opsPrefix: string | undefined;
  logger: Logger;
}

/**
 * One request header, read from the raw list: `req.headers` is built on first use, an object
 * per request that the hot path does not otherwise need.
 */
function rawHeader(req: IncomingMessage, lowerCaseName: string): string | undefined {
  const raw = req.rawHeaders;
  let value: string | undefined;
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index]!;
    if (name.length !== lowerCaseName.length || name.toLowerCase() !== lowerCaseName) continue;
    value = value === undefined ? raw[index + 1] : `${value}, ${raw[index + 1]}`; // a list, as HTTP joins it
  }
  return value;
}

function serveObject(object: CachedObject, req: IncomingMessage, res: ServerResponse): number {
  const method = req.method;
  if (method !== 'GET' && method !== 'HEAD') return send(res, methodNotAllowed);
  const ifNoneMatch = rawHeader(req, 'if-none-match');
  if (ifNoneMatch !== undefined && matchesIfNoneMatch(ifNoneMatch, object.etag)) {
    res.writeHead(304, object.notModifiedHeaders as string[]);
    res.end();
    return 304;
  }
  res.writeHead(200, object.okHeaders as string[]);
  res.end(method === 'HEAD' ? undefined : object.body);
  return 200;
}

export function createRequestHandler(options: RequestHandlerOptions): RequestListener {
  const { cache, lifecycle, metrics, opsPrefix, logger } = options;
  const ops =
    opsPrefix === undefined
      ? undefined
      : createOpsEndpoints({ metrics, isReady: () => !lifecycle.stopping });

  /** Returns the status sent, or undefined when the answer comes later and counts itself. */
  const route = (req: IncomingMessage, res: ServerResponse): number | undefined => {
    const url = req.url ?? '';
    const queryStart = url.indexOf('?');
    const path = queryStart === -1 ? url : url.slice(0, queryStart);
    if (path === '/' && cache !== undefined) return serveObject(cache.current, req, res);
    if (ops !== undefined && path.startsWith(opsPrefix!) && path[opsPrefix!.length] === '/') {
      return ops(path.slice(opsPrefix!.length), req, res);
    }
    return send(res, notFound);
  };

  const handle: RequestListener = (req, res) => {
    // While stopping, answer but tell the client not to reuse the connection.
    if (lifecycle.stopping) res.shouldKeepAlive = false;
    const status = route(req, res);
    if (status !== undefined) metrics.countRequest(status);
  };

  if (!logger.isLevelEnabled('debug')) return handle;
  return (req, res) => {
    const startedAt = performance.now();
    res.once('finish', () => {
      const durationMs = Math.round((performance.now() - startedAt) * 1000) / 1000;
      logger.debug({ method: req.method, url: req.url, status: res.statusCode, durationMs }, 'request');
    });
    handle(req, res);
  };
}
