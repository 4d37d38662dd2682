// A raw HTTP/1.1 client that stops reading after its first chunk until resumed: a slow reader,
// whose response the service must finish while it stops. It pauses in the data handler itself;
// pausing later would let loopback deliver a whole 32 MiB body in the meantime, and the server
// would have nothing left to flush.
import { connect, type Socket } from 'node:net';

export interface SlowReader {
  socket: Socket;
  received: () => Buffer;
  /** Everything received, once the server closed the connection. */
  ended: Promise<Buffer>;
}

/** Sends `requests` (raw, `GET /` by default; several are pipelined) and reads the first chunk only. */
export function slowReader(port: number, requests = 'GET / HTTP/1.1\r\nHost: test\r\n\r\n'): SlowReader {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk) => {
    if (chunks.length === 0) socket.pause();
    chunks.push(chunk);
  });
  socket.on('error', () => undefined); // a reset shows as a short body, which the tests check
  const ended = new Promise<Buffer>((resolve) => socket.once('close', () => resolve(Buffer.concat(chunks))));
  socket.write(requests);
  return { socket, received: () => Buffer.concat(chunks), ended };
}

/** The body of the first response in `response` (all of it after the first header block). */
export function bodyOf(response: Buffer): Buffer {
  return response.subarray(response.indexOf('\r\n\r\n') + 4);
}
