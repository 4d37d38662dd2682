// The baseline for the throughput figures: the least a node:http server can do to answer GET /
// with the same response as the service (the same body, preallocated, and the same headers, which
// the bench reads from the service and passes as JSON), on the same Node. Prints its port.
import { createServer } from 'node:http';

const body = Buffer.from(process.argv[2] ?? '');
const headers: string[] = process.argv[3] === undefined ? ['Content-Type', 'text/plain', 'Content-Length', String(body.byteLength)] : JSON.parse(process.argv[3]);
const server = createServer((req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
