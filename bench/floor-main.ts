// Bench only: the memory floor of this design, the least a process can hold that serves the
// object from node:http on the main thread while a worker thread holds an S3 client of the AWS
// SDK that has fetched it once. Bundled and collected as the service is (scripts/build.ts,
// src/shared/memory-policy.ts); "RSS idle" is read against it. Prints the port once it listens.
import { createServer } from 'node:http';
import { Worker } from 'node:worker_threads';
import { threadLoaded } from '../src/shared/memory-policy.ts';

const worker = new Worker(new URL('./floor-worker.mjs', import.meta.url));
worker.once('message', (bytes: Uint8Array) => {
  const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  threadLoaded();
  const server = createServer((_request, response) => response.end(body));
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address !== null && typeof address === 'object') process.stdout.write(`${address.port}\n`);
  });
});
worker.once('error', (error) => {
  process.stderr.write(`floor worker failed: ${error.message}\n`);
  process.exit(1);
});
