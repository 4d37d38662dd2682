// Serving thread. The node:http server, its bounds on what clients hold, and its graceful close:
// stop accepting, let responses in flight finish, close each connection as soon as it has nothing
// left to send.
import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

export interface HttpServerOptions {
  /** Idle keep-alive connections are closed after this. */
  keepAliveTimeoutMs: number;
  /** A client must have sent its request headers within this (slowloris bound). */
  headersTimeoutMs: number;
  /** Connections served at once; more are closed as soon as they are accepted. */
  maxConnections: number;
  /** An error of the listening socket after it opened (EMFILE on accept, ...): not fatal. */
  onError: (error: NodeJS.ErrnoException) => void;
}

export interface HttpServer {
  readonly server: Server;
  /** `reusePort`: one of several listeners on the port, each thread its own (Linux SO_REUSEPORT). */
  listen(port: number, host: string, reusePort?: boolean): Promise<void>;
  /** Resolves once every connection is closed; the caller bounds it with its own deadline. */
  close(): Promise<void>;
}

/** The whole request (headers and body) must arrive within this, or at least within headersTimeout. */
const requestTimeoutMs = 30_000;

export function createHttpServer(handler: RequestListener, options: HttpServerOptions): HttpServer {
  /** Every open connection, with the number of its responses not yet complete. */
  const responsesInFlight = new Map<Socket, number>();
  let closing = false;

  // One shared listener, not a closure per request: this runs for every request.
  function responseClosed(this: ServerResponse): void {
    const socket = this.req.socket;
    const left = (responsesInFlight.get(socket) ?? 1) - 1;
    responsesInFlight.set(socket, left);
    if (closing && left === 0) closeWhenFlushed(socket);
  }

  const server = createServer(
    {
      keepAliveTimeout: options.keepAliveTimeoutMs,
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: Math.max(requestTimeoutMs, options.headersTimeoutMs),
      // node enforces headersTimeout and requestTimeout only when it sweeps its connections, every
      // 30 s by default: a slowloris client then holds a socket up to 40 s instead of 10.
      connectionsCheckingInterval: Math.min(1_000, options.headersTimeoutMs),
      noDelay: true,
    },
    (req, res) => {
      responsesInFlight.set(req.socket, (responsesInFlight.get(req.socket) ?? 0) + 1);
      res.on('close', responseClosed);
      handler(req, res);
    },
  );
  server.maxConnections = options.maxConnections;

  server.on('connection', (socket: Socket) => {
    responsesInFlight.set(socket, 0);
    socket.once('close', () => responsesInFlight.delete(socket));
  });

  return {
    server,
    listen(port, host, reusePort = false) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port, host, reusePort }, () => {
          server.off('error', reject);
          server.on('error', options.onError);
          resolve();
        });
      });
    },
    close() {
      closing = true;
      return new Promise((resolve) => {
        // net.Server's close, not node:http's: the latter also runs closeIdleConnections(), which
        // destroys a socket whose response is ended but still flushing to a slow reader, cutting
        // the body short. Idle sockets are closed below, only once flushed.
        NetServer.prototype.close.call(server, () => resolve());
        for (const [socket, inFlight] of responsesInFlight) {
          if (inFlight === 0) closeWhenFlushed(socket);
        }
      });
    },
  };
}

/** Closes a connection with no response in flight without losing bytes still being written. */
function closeWhenFlushed(socket: Socket): void {
  if (socket.writableLength === 0) socket.destroy();
  else socket.end(() => socket.destroy());
}
