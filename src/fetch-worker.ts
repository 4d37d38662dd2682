// Fetch worker entry (its own thread). Owns the S3 client, refreshes at start and then at a fixed
// rate (and on demand), and posts each outcome to the main thread: one object (S3_KEY,
// worker/object-refresh.ts), or every object under a prefix as one snapshot (S3_PREFIX,
// worker/snapshot-refresh.ts).
import { parentPort, workerData } from 'node:worker_threads';
import type { FetchJob, MainToWorker, WorkerToMain } from './protocol.ts';
import { returnFreePages } from './shared/release-memory.ts';
import { createObjectRefresh } from './worker/object-refresh.ts';
import { RefreshLoop } from './worker/refresh-loop.ts';
import { createS3Client } from './worker/s3-object-source.ts';

if (parentPort === null) throw new Error('fetch-worker must run as a worker thread');
const port = parentPort;
const job = workerData as FetchJob;
const client = createS3Client(job);
const context = { client, job, post: (message: WorkerToMain) => port.postMessage(message) };
// Prefix mode's code (and the extension table it brings) is loaded only in prefix mode.
const refresh =
  job.prefix === undefined ? createObjectRefresh(context) : (await import('./worker/snapshot-refresh.ts')).createSnapshotRefresh(context);
// After every refresh, changed or not, the C heap's free pages go back to the system: those of
// the refresh just done, and those the serving threads freed under load since the last one.
const loop = new RefreshLoop(async (signal, answers) => {
  const outcome = await refresh(signal, answers);
  returnFreePages();
  return outcome;
}, job.refreshIntervalMs);

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
