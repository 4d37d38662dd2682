// Serving thread. Liveness, readiness, metrics and (with REFRESH_TOKEN) refresh on demand, under a
// prefix that cannot collide with the object at `/`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServiceMetrics } from '../main/metrics.ts';
import type { RefreshRequest } from '../main/refresh-requests.ts';
import { methodNotAllowed, notFound, plainResponse, send } from './plain-responses.ts';
import { createRefreshEndpoint } from './refresh-endpoint.ts';

const alive = plainResponse(200, 'ok');
const ready = plainResponse(200, 'ready');
const stopping = plainResponse(503, 'stopping');

export interface OpsEndpointsOptions {
  metrics: ServiceMetrics;
  /** Ready means: an object is cached and the process is not stopping. */
  isReady: () => boolean;
  /** Undefined: no REFRESH_TOKEN, no refresh endpoint (404). */
  refresh: { token: string; request: () => RefreshRequest } | undefined;
}

const metricsUnavailable = plainResponse(500, 'metrics unavailable');

/**
 * Answers `path` (already stripped of the prefix) and returns the status sent, or undefined for
 * metrics, which are gathered asynchronously and count their own status once sent.
 */
export function createOpsEndpoints({ metrics, isReady, refresh }: OpsEndpointsOptions) {
  const count = (status: number) => metrics.countRequest(status);
  const refreshEndpoint = refresh === undefined ? undefined : createRefreshEndpoint({ ...refresh, count });

  const serveMetrics = async (res: ServerResponse, headOnly: boolean): Promise<void> => {
    let body: string;
    try {
      body = await metrics.registry.metrics();
    } catch {
      metrics.countRequest(send(res, metricsUnavailable));
      return;
    }
    res.writeHead(200, { 'Content-Type': metrics.registry.contentType, 'Content-Length': Buffer.byteLength(body) });
    res.end(headOnly ? undefined : body);
    metrics.countRequest(200);
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
