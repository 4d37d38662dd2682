// The fetch worker: owns the S3 client, fetches at start and then at a fixed rate, and posts each
// outcome to the main thread. It never runs two fetches at once and stops after the first failure:
// the main thread exits and the supervisor restarts the process.
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { describeFetchError } from './fetch-failure.ts';
import { delayToNextSlot } from './fixed-rate.ts';
import type { FetchJob, MainToWorker, WorkerToMain } from './protocol.ts';
import { createS3Client, fetchObject } from './s3-object-source.ts';

if (parentPort === null) throw new Error('fetch-worker must run as a worker thread');
const port = parentPort;
const job = workerData as FetchJob;
const client = createS3Client(job);
const startedAt = performance.now();

let knownEtag: string | undefined;
let inFlight: AbortController | undefined;
let refreshQueued = false;
let timer: NodeJS.Timeout | undefined;

function post(message: WorkerToMain, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

async function refresh(): Promise<void> {
  const controller = new AbortController();
  inFlight = controller;
  const fetchStartedAt = performance.now();
  const durationMs = () => Math.round(performance.now() - fetchStartedAt);
  try {
    const result = await fetchObject(client, job, knownEtag, controller.signal);
    if (result.kind === 'unchanged') {
      post({ type: 'unchanged', durationMs: durationMs() });
    } else {
      knownEtag = result.object.etag;
      post({ type: 'changed', object: result.object, durationMs: durationMs() }, [result.object.body]);
    }
  } catch (error) {
    if (controller.signal.aborted) return; // stopping: the main thread asked for it
    post({ type: 'failed', failure: describeFetchError(error, job), durationMs: durationMs() });
    stop();
    return;
  } finally {
    inFlight = undefined;
  }
  if (refreshQueued) {
    refreshQueued = false;
    void refresh();
  }
}

function scheduleNextSlot(): void {
  timer = setTimeout(() => {
    scheduleNextSlot();
    if (inFlight === undefined) void refresh(); // else this slot is skipped, never doubled
  }, delayToNextSlot(startedAt, job.refreshIntervalMs, performance.now()));
}

function stop(): void {
  clearTimeout(timer);
  inFlight?.abort();
  client.destroy();
  port.close(); // nothing left holds the thread's event loop: it ends
}

port.on('message', (message: MainToWorker) => {
  if (message.type === 'stop') stop();
  else if (message.type === 'refresh') {
    if (inFlight === undefined) void refresh();
    else refreshQueued = true;
  }
});

void refresh();
scheduleNextSlot();
