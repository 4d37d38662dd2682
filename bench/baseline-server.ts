// The baseline for the throughput figures: the least a node:http server can do to answer GET /
// with the same bytes (preallocated, with Content-Length), on the same Node. Prints its port.
import { createServer } from 'node:http';

const body = Buffer.from(process.argv[2] ?? '');
const headers = ['Content-Type', 'text/plain', 'Content-Length', String(body.byteLength)];
const server = createServer((req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
