// Fetch worker entry (its own thread). Owns the S3 client, fetches at start and then at a fixed
// rate, and posts each outcome to the main thread. It stops after the first failure: the main
// thread exits and the supervisor restarts the process.
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import type { FetchJob, MainToWorker, WorkerToMain } from './protocol.ts';
import { releaseDeadBuffer } from './shared/release-memory.ts';
import { describeFetchError } from './worker/fetch-failure.ts';
import { RefreshLoop } from './worker/refresh-loop.ts';
import { encodedVariants, sha256Of } from './worker/representations.ts';
import { createS3Client, fetchObject } from './worker/s3-object-source.ts';

if (parentPort === null) throw new Error('fetch-worker must run as a worker thread');
const port = parentPort;
const job = workerData as FetchJob;
const client = createS3Client(job);
let knownEtag: string | undefined;

function post(message: WorkerToMain, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

async function fetchOnce(signal: AbortSignal): Promise<boolean> {
  const startedAt = performance.now();
  const durationMs = () => Math.round(performance.now() - startedAt);
  try {
    const result = await fetchObject(client, job, knownEtag, signal);
    if (result.kind === 'unchanged') {
      post({ type: 'unchanged', durationMs: durationMs() });
    } else {
      const fetchedMs = durationMs();
      const { body, contentType } = result.object;
      const object = { ...result.object, sha256: sha256Of(new Uint8Array(body)), variants: await encodedVariants(body, contentType, job) };
      knownEtag = object.etag;
      const prepareMs = durationMs() - fetchedMs;
      post({ type: 'changed', object, durationMs: durationMs(), prepareMs }, [body, ...object.variants.map((variant) => variant.body)]);
      releaseDeadBuffer(body.byteLength); // the response's chunks, copied into it
    }
    return true;
  } catch (error) {
    // Aborted means the main thread asked us to stop: that is not a failure to report.
    if (!signal.aborted) post({ type: 'failed', failure: describeFetchError(error, job), durationMs: durationMs() });
    return false;
  }
}

const loop = new RefreshLoop(fetchOnce, job.refreshIntervalMs);

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
