// Liveness, readiness and metrics, under a prefix that cannot collide with the object at `/`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServiceMetrics } from './metrics.ts';
import { methodNotAllowed, notFound, plainResponse, send } from './plain-responses.ts';

const alive = plainResponse(200, 'ok');
const ready = plainResponse(200, 'ready');
const stopping = plainResponse(503, 'stopping');

export interface OpsEndpointsOptions {
  metrics: ServiceMetrics;
  /** Ready means: an object is cached and the process is not stopping. */
  isReady: () => boolean;
}

/** Answers `path` (already stripped of the prefix) and returns the status sent. */
export function createOpsEndpoints({ metrics, isReady }: OpsEndpointsOptions) {
  const serveMetrics = async (res: ServerResponse, headOnly: boolean): Promise<void> => {
    try {
      const body = await metrics.registry.metrics();
      res.writeHead(200, { 'Content-Type': metrics.registry.contentType, 'Content-Length': Buffer.byteLength(body) });
      res.end(headOnly ? undefined : body);
    } catch {
      if (!res.headersSent) send(res, plainResponse(500, 'metrics unavailable'));
    }
  };

  return (path: string, req: IncomingMessage, res: ServerResponse): number => {
    if (path !== '/healthz' && path !== '/readyz' && path !== '/metrics') return send(res, notFound);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, methodNotAllowed);
    if (path === '/healthz') return send(res, alive);
    if (path === '/readyz') return send(res, isReady() ? ready : stopping);
    void serveMetrics(res, req.method === 'HEAD');
    return 200;
  };
}
