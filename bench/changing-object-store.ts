// A bench-only S3 GetObject responder whose object changes every CHANGE_MS: the body and its
// ETag alternate between two preallocated versions. It stands in for a store where making a new
// 64 MiB version costs the store nothing; with s3rver, hashing and writing 64 MiB a second takes
// a whole core of this two-core machine and the figure would measure the store, not the service.
// The service talks to it through its real S3 client; conditional GETs get 304 as from S3.
// Prints its endpoint; runs until SIGTERM.
//
//   node bench/changing-object-store.ts SIZE_BYTES CHANGE_MS
import { createServer } from 'node:http';

const [size, changeMs] = process.argv.slice(2).map(Number);
const versions = [Buffer.alloc(size!, 1), Buffer.alloc(size!, 2)];
const startedAt = Date.now();
const current = () => Math.floor((Date.now() - startedAt) / changeMs!);

const server = createServer((req, res) => {
  req.resume();
  if (req.method !== 'GET') {
    res.writeHead(405).end();
    return;
  }
  const version = current();
  const etag = `"version-${version}"`;
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, { ETag: etag }).end();
    return;
  }
  const body = versions[version % 2]!;
  res.writeHead(200, {
    'Content-Type': 'application/octet-stream',
    'Content-Length': body.byteLength,
    ETag: etag,
    'Last-Modified': new Date(startedAt + version * changeMs!).toUTCString(),
  });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`http://127.0.0.1:${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
