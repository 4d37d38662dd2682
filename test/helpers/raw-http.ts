// The tests' one raw socket: HTTP/1.1 written exactly as a test wants it (a request target no client
// library would send unchanged, a half-sent request, pipelined requests, a reader that stops
// reading), and every byte the server sends back.
import { connect, type Socket } from 'node:net';
import { withTimeout } from './wait.ts';

export interface RawSocket {
  socket: Socket;
  /** Everything received so far. */
  received(): Buffer;
  /** Everything received, once the connection closed (a reset too: the bytes show it). */
  closed: Promise<Buffer>;
  /** Resolves once connected; rejects if the connection is refused. */
  connected: Promise<void>;
}

/** Connects to the service on 127.0.0.1 and writes `text`, if any. `slow`: reads the first chunk only, until resumed. */
export function rawSocket(port: number, text?: string, { slow = false } = {}): RawSocket {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => {
    // Paused in the handler itself: pausing later would let loopback deliver a whole body meanwhile.
    if (slow && chunks.length === 0) socket.pause();
    chunks.push(chunk);
  });
  const connected = new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  connected.catch(() => undefined);
  socket.on('error', () => undefined); // a reset or refusal shows as what was (not) received
  const closed = new Promise<Buffer>((resolve) => socket.once('close', () => resolve(Buffer.concat(chunks))));
  if (text !== undefined) socket.write(text);
  return { socket, received: () => Buffer.concat(chunks), closed, connected };
}

/** A raw client that sends `requests` (`GET /` by default; several are pipelined) and reads the first chunk only until resumed. */
export function slowReader(port: number, requests = 'GET / HTTP/1.1\r\nHost: test\r\n\r\n'): RawSocket {
  return rawSocket(port, requests, { slow: true });
}

export interface RawAnswer {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: Buffer;
}

/** The body of the first response in `response` (all of it after the first header block). */
export function bodyOf(response: Buffer): Buffer {
  return response.subarray(response.indexOf('\r\n\r\n') + 4);
}

/** One request sent exactly as written, on a connection of its own, and its parsed answer. */
export async function rawRequest(port: number, target: string, method = 'GET'): Promise<RawAnswer> {
  const { closed } = rawSocket(port, `${method} ${target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n`);
  const response = await withTimeout(closed, 5_000, `the answer to ${method} ${target}`);
  const headEnd = response.indexOf('\r\n\r\n');
  const [statusLine = '', ...headerLines] = response.subarray(0, headEnd).toString('latin1').split('\r\n');
  const headers = Object.fromEntries(
    headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body: bodyOf(response) };
}
