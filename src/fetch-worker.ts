// Fetch worker entry (its own thread). Owns the S3 client, refreshes at start and then at a fixed
// rate (and on demand), and posts each outcome to the main thread: the next snapshot, unchanged,
// or a failure. The modes differ only in how a refresh discovers what changed
// (src/worker/change-discovery.ts); the refresh itself is one (src/worker/snapshot-refresh.ts).
import { parentPort, workerData } from 'node:worker_threads';
import type { FetchJob, MainToWorker, WorkerToMain } from './protocol.ts';
import type { ChangeDiscovery } from './worker/change-discovery.ts';
import { keyDiscovery } from './worker/discover-key.ts';
import { RefreshLoop } from './worker/refresh-loop.ts';
import { createS3Client } from './worker/s3-object-source.ts';
import { createSnapshotRefresh } from './worker/snapshot-refresh.ts';

if (parentPort === null) throw new Error('fetch-worker must run as a worker thread');
const port = parentPort;
const job = workerData as FetchJob;
const client = createS3Client(job);

/** Prefix mode's code (and the extension table it brings) is loaded only in prefix mode. */
async function discoveryFor(): Promise<ChangeDiscovery> {
  if (job.prefix === undefined) return keyDiscovery(client, job);
  const { listingDiscovery } = await import('./worker/discover-listing.ts');
  const listing = listingDiscovery(client, job);
  if (job.snapshotMarker === undefined) return listing;
  const { markerDiscovery } = await import('./worker/discover-marker.ts');
  return markerDiscovery(client, job, listing, job.prefix + job.snapshotMarker);
}

const refresh = createSnapshotRefresh({ client, job, post: (message: WorkerToMain) => port.postMessage(message) }, await discoveryFor());
const loop = new RefreshLoop(refresh, job.refreshIntervalMs);

function stop(): void {
  loop.stop();
  client.destroy();
  port.close(); // nothing else holds the thread's event loop: it ends
}

port.on('message', (message: MainToWorker) => {
  if (message.type === 'stop') stop();
  else if (message.type === 'refresh') loop.refreshNow();
});

loop.start();
