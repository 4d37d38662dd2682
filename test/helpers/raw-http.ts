// One HTTP/1.1 request sent exactly as written, on a connection of its own: a request target no
// client library would send unchanged (`/../x`, `//x`, broken percent-encoding).
import { connect } from 'node:net';
import { withTimeout } from './wait.ts';

export interface RawAnswer {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: Buffer;
}

export async function rawRequest(port: number, target: string, method = 'GET'): Promise<RawAnswer> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<void>((resolve, reject) => {
    socket.once('close', () => resolve());
    socket.once('error', reject);
  });
  socket.write(`${method} ${target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n`);
  await withTimeout(closed, 5_000, `the answer to ${method} ${target}`);
  const response = Buffer.concat(chunks);
  const headEnd = response.indexOf('\r\n\r\n');
  const [statusLine = '', ...headerLines] = response.subarray(0, headEnd).toString('latin1').split('\r\n');
  const headers = Object.fromEntries(
    headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body: response.subarray(headEnd + 4) };
}
