// The node:http server and its graceful close: stop accepting, let responses in flight finish,
// close each connection as soon as it has nothing left to send.
import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

export interface HttpServer {
  readonly server: Server;
  listen(port: number, host: string): Promise<void>;
  /** Resolves once every connection is closed; the caller bounds it with its own deadline. */
  close(): Promise<void>;
}

export function createHttpServer(handler: RequestListener): HttpServer {
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
      // Longer than the idle timeout of common load balancers (60 s), so that they, not we,
      // close idle connections: otherwise a request can race our close and fail.
      keepAliveTimeout: 65_000,
      // A client that trickles its request in (slowloris) holds a socket at most this long.
      headersTimeout: 10_000,
      requestTimeout: 30_000,
      noDelay: true,
    },
    (req, res) => {
      responsesInFlight.set(req.socket, (responsesInFlight.get(req.socket) ?? 0) + 1);
      res.on('close', responseClosed);
      handler(req, res);
    },
  );

  server.on('connection', (socket: Socket) => {
    responsesInFlight.set(socket, 0);
    socket.once('close', () => responsesInFlight.delete(socket));
  });

  return {
    server,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
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
