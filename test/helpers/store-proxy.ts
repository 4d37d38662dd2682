// An HTTP proxy in front of the store that a test can steer: pass requests through, pass them one
// at a time (s3rver tears objects that are read while being overwritten), or hold them unanswered
// (a store that hangs mid-refresh), telling the test when a request arrives and when it is given up;
// and change the store's answers on the way (a status or header the store should not send).
import { once } from 'node:events';
import { finished } from 'node:stream';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { onCleanup } from './cleanup.ts';

export type ProxyMode = 'pass' | 'serialise' | 'hold';

export interface HeldRequest {
  method: string;
  url: string;
  /** Resolves when the client gives up on the request (closes its connection). */
  abandoned: Promise<void>;
}

export interface StoreAnswer {
  status: number;
  headers: IncomingHttpHeaders;
}

export interface StoreProxy {
  readonly endpoint: string;
  mode: ProxyMode;
  /** Edits each answer of the store before it is passed on (pass and serialise modes). */
  rewrite: ((answer: StoreAnswer, request: IncomingMessage) => void) | undefined;
  /** Holds each request this long before passing it on (a slow store). */
  delayMs: number;
  /** Replaces the body of each 200 answer to a GET (it may also edit the headers). */
  rewriteBody: ((body: Buffer, answer: StoreAnswer) => Buffer) | undefined;
  /**
   * Runs before each request is passed on (pass mode): to change the store under a request, or to
   * hold it; what it resolves with, if anything, is called once the answer has been passed on.
   */
  beforeForward: ((request: IncomingMessage) => Promise<(() => void) | undefined>) | undefined;
  /** Every request received, as `METHOD url`, in order. */
  requestLines(): string[];
  /** Resolves with the next request that arrives while holding. */
  nextHeld(): Promise<HeldRequest>;
  /** Requests received since the proxy started, in any mode. */
  requestsSeen(): number;
  /** Body bytes of the store's answers to GETs, passed on to the client. */
  getBodyBytes(): number;
  close(): Promise<void>;
}

export async function startStoreProxy(storeEndpoint: string): Promise<StoreProxy> {
  const target = new URL(storeEndpoint);
  let queue = Promise.resolve();
  const heldWaiters: Array<(held: HeldRequest) => void> = [];
  const held: HeldRequest[] = [];
  let requestsSeen = 0;
  const lines: string[] = [];
  let getBodyBytes = 0;

  const forward = (req: IncomingMessage, res: ServerResponse): Promise<void> =>
    new Promise((resolve) => {
      // A client that went away while its request waited in the queue: nothing to pass on.
      if (res.destroyed) {
        resolve();
        return;
      }
      const upstream = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent: false },
        (answer) => {
          const passed: StoreAnswer = { status: answer.statusCode!, headers: { ...answer.headers } };
          proxy.rewrite?.(passed, req);
          const rewriteBody = proxy.rewriteBody;
          if (rewriteBody !== undefined && req.method === 'GET' && passed.status === 200) {
            const chunks: Buffer[] = [];
            answer.on('data', (chunk: Buffer) => chunks.push(chunk));
            answer.once('end', () => {
              const body = rewriteBody(Buffer.concat(chunks), passed);
              res.writeHead(passed.status, { ...passed.headers, 'content-length': String(body.byteLength) });
              res.end(body, resolve);
            });
            answer.once('error', resolve);
            return;
          }
          res.writeHead(passed.status, passed.headers);
          if (req.method === 'GET') answer.on('data', (chunk: Buffer) => (getBodyBytes += chunk.byteLength));
          answer.pipe(res);
          answer.once('error', resolve);
          // Done when the client has it all, or went away (killed mid-download: the pipe stops,
          // the answer never ends); `finished` also sees a response closed before it looked.
          finished(res, () => resolve());
        },
      );
      upstream.once('error', () => {
        res.destroy();
        resolve();
      });
      req.pipe(upstream);
    });

  const proxy: StoreProxy = {
    endpoint: '',
    mode: 'pass',
    rewrite: undefined,
    rewriteBody: undefined,
    beforeForward: undefined,
    requestLines: () => [...lines],
    delayMs: 0,
    nextHeld: () => {
      const waiting = held.shift();
      return waiting ? Promise.resolve(waiting) : new Promise((resolve) => heldWaiters.push(resolve));
    },
    requestsSeen: () => requestsSeen,
    getBodyBytes: () => getBodyBytes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  const server = createServer((req, res) => {
    requestsSeen++;
    lines.push(`${req.method} ${req.url}`);
    if (proxy.mode === 'hold') {
      const request: HeldRequest = {
        method: req.method!,
        url: req.url!,
        abandoned: once(res, 'close').then(() => undefined),
      };
      const waiter = heldWaiters.shift();
      if (waiter) waiter(request);
      else held.push(request);
      return;
    }
    if (proxy.mode === 'pass') {
      const before = proxy.beforeForward;
      if (before !== undefined) void before(req).then((done) => forward(req, res).finally(() => done?.()));
      else if (proxy.delayMs > 0) setTimeout(() => void forward(req, res), proxy.delayMs);
      else void forward(req, res);
      return;
    }
    queue = queue.then(() => forward(req, res));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  (proxy as { endpoint: string }).endpoint = `http://127.0.0.1:${port}`;
  onCleanup(() => {
    server.closeAllConnections();
    return proxy.close().catch(() => undefined);
  });
  return proxy;
}
