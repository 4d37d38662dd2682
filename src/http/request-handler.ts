// Serving thread. Routes a request: the operations endpoints under their prefix, else (with read
// credentials, where READ_AUTH_FILE asks for them) the snapshot's entries: the one object at `/`,
// or in prefix mode the objects at their paths; 404 elsewhere. A listener may serve only one of
// the two. The operations endpoints win over an object of the same path, and need no credentials
// (readiness probes; the refresh endpoint has its own token). This is the hot path: no allocation
// beyond what node:http needs, no logging at info level.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { AccessLogEntry, SnapshotPaths } from '../serving-protocol.ts';
import { createOpsEndpoints, type OpsEndpointsOptions } from './ops-endpoints.ts';
import type { ReadAccess } from './read-access.ts';
import { nameSnapshot, servePinned, type SkewProtection, type SnapshotSource } from './snapshot-pins.ts';
import { notFound, send } from './plain-responses.ts';
import { objectPath } from '../protocol.ts';
import { serveObject } from './serve-object.ts';
import { servePrefix } from './serve-prefix.ts';
import type { Snapshot } from './snapshot.ts';

export interface RequestHandlerOptions {
  /**
   * The snapshot, read once per request (a refresh swaps `current` whole), and how paths map to it.
   * Undefined: this listener serves no object.
   */
  snapshot: { holder: SnapshotSource; paths: SnapshotPaths; skew: SkewProtection | undefined } | undefined;
  lifecycle: { readonly stopping: boolean };
  /** Counts each status sent (the thread's row of the shared request counters). */
  count: (status: number) => void;
  /** Undefined: this listener serves no operations endpoints. */
  ops: Omit<OpsEndpointsOptions, 'count' | 'isReady'> | undefined;
  /** Every request, when LOG_LEVEL=debug; undefined costs nothing per request. */
  accessLog: ((entry: AccessLogEntry) => void) | undefined;
  /** READ_AUTH_FILE: who may read the snapshot, and where refusals are reported; undefined: open, and no check at all. */
  readAccess?: { access: ReadAccess; denied: (req: IncomingMessage) => void } | undefined;
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

/** `snapshot`'s answer for `path`: the one object at `/`, or in prefix mode the object at its path; every answer names the snapshot. */
function answerFrom(snapshot: Snapshot, paths: SnapshotPaths, path: string, req: IncomingMessage, res: ServerResponse, from = snapshot.served): number {
  if (paths.mode === 'prefix') return servePrefix(snapshot, path, paths, req, res, from);
  if (path === '/') return serveObject(snapshot.objects.get(objectPath)!, req, res, from);
  nameSnapshot(res, from);
  return send(res, notFound);
}

export function createRequestHandler(options: RequestHandlerOptions): RequestListener {
  const { snapshot, lifecycle, count, accessLog, readAccess } = options;
  const opsPrefix = options.ops?.prefix;
  const ops = options.ops === undefined ? undefined : createOpsEndpoints({ ...options.ops, count, isReady: () => !lifecycle.stopping });

  /** Returns the status sent, or undefined when the answer comes later and counts itself. */
  const route = (req: IncomingMessage, res: ServerResponse): number | undefined => {
    const path = targetPath(req.url ?? '');
    if (ops !== undefined && path.startsWith(opsPrefix!) && path[opsPrefix!.length] === '/') {
      return ops(path.slice(opsPrefix!.length), req, res);
    }
    if (snapshot === undefined || path[0] !== '/') return send(res, notFound);
    if (readAccess === undefined) return serveSnapshot(path, req, res);
    const verdict = readAccess.access.allows(req);
    if (verdict === true) return serveSnapshot(path, req, res);
    if (verdict === false) return refuse(req, res);
    void verdict.then((allowed) => {
      const status = allowed ? serveSnapshot(path, req, res) : refuse(req, res);
      if (status !== undefined) count(status);
    });
    return undefined;
  };

  /** The current snapshot's answer, or with SKEW_PROTECTION that of the snapshot a request is pinned to. */
  const serveSnapshot = (path: string, req: IncomingMessage, res: ServerResponse): number | undefined => {
    const { holder, paths, skew } = snapshot!;
    if (skew === undefined) return answerFrom(holder.current, paths, path, req, res);
    return servePinned(holder, skew, req, (pinned, from) => answerFrom(pinned, paths, path, req, res, from), count);
  };

  const refuse = (req: IncomingMessage, res: ServerResponse): number => {
    readAccess!.denied(req);
    return send(res, readAccess!.access.refusal);
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
