// Serving thread. Liveness, readiness, metrics and (with REFRESH_TOKEN) refresh on demand, under a
// prefix that cannot collide with the object at `/`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RefreshOrigin, RefreshRequest } from '../serving-protocol.ts';
import { methodNotAllowed, notFound, plainResponse, send } from './plain-responses.ts';
import { createRefreshEndpoint } from './refresh-endpoint.ts';

const alive = plainResponse(200, 'ok');
const ready = plainResponse(200, 'ready');
const stopping = plainResponse(503, 'stopping');

export interface MetricsText {
  contentType: string;
  text: string;
}

export interface OpsEndpointsOptions {
  prefix: string;
  /** The Prometheus text (a serving thread asks the main thread for it). */
  scrape: () => Promise<MetricsText>;
  /** Counts a status sent after the handler returned. */
  count: (status: number) => void;
  /** Ready means: an object is cached and the process is not stopping. */
  isReady: () => boolean;
  /** Undefined: no REFRESH_TOKEN, no refresh endpoint (404). */
  refresh: { token: string; request: (origin: RefreshOrigin) => RefreshRequest } | undefined;
}

const metricsUnavailable = plainResponse(500, 'metrics unavailable');

/**
 * Answers `path` (already stripped of the prefix) and returns the status sent, or undefined for
 * metrics, which are gathered asynchronously and count their own status once sent.
 */
export function createOpsEndpoints({ scrape, count, isReady, refresh }: OpsEndpointsOptions) {
  const refreshEndpoint = refresh === undefined ? undefined : createRefreshEndpoint({ ...refresh, count });

  const serveMetrics = async (res: ServerResponse, headOnly: boolean): Promise<void> => {
    let metrics: MetricsText;
    try {
      metrics = await scrape();
    } catch {
      count(send(res, metricsUnavailable));
      return;
    }
    res.writeHead(200, { 'Content-Type': metrics.contentType, 'Content-Length': Buffer.byteLength(metrics.text) });
    res.end(headOnly ? undefined : metrics.text);
    count(200);
  };

  return (path: string, req: IncomingMessage, res: ServerResponse): number | undefined => {
    if (path === '/refresh' && refreshEndpoint !== undefined) return refreshEndpoint(req, res);
    if (path !== '/healthz' && path !== '/readyz' && path !== '/metrics') return send(res, notFound);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, methodNotAllowed);
    if (path === '/healthz') return send(res, alive);
    if (path === '/readyz') return send(res, isReady() ? ready : stopping);
    void serveMetrics(res, req.method === 'HEAD');
    return undefined;
  };
}
