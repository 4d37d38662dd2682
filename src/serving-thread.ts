// Serving thread entry (HTTP_THREADS > 1: that many minus one, beside the main thread). Serves the
// object on the same HOST:PORT as the main thread (SO_REUSEPORT: the kernel spreads connections
// over the listeners) from the shared memory the main thread hands it, and asks the main thread
// for what only it owns: metrics and refreshes. Signals never reach a worker thread: the main
// thread tells it when to stop.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { toCachedObject, type CachedObject } from './http/cached-object.ts';
import { createHttpServer } from './http/http-server.ts';
import type { MetricsText } from './http/ops-endpoints.ts';
import { createRequestHandler } from './http/request-handler.ts';
import { nextSnapshot, type Snapshot } from './http/snapshot.ts';
import type { MainToServing, RefreshOutcome, RefreshRequest, ServingJob, ServingToMain, SnapshotUpdate } from './serving-protocol.ts';
import { releaseDeadBuffer, releaseStartUpMemory } from './shared/release-memory.ts';
import { RequestCounter } from './shared/request-counters.ts';

if (parentPort === null) throw new Error('serving-thread must run as a worker thread');
const port = parentPort;
const job = workerData as ServingJob;
const post = (message: ServingToMain): void => port.postMessage(message);
const counter = new RequestCounter(job.requestCounters, job.index);
const stoppingFlag = new Int32Array(job.stoppingFlag);
// Readiness 503 and Connection: close from the moment the main thread sets the flag, even while
// this thread's event loop is busy and a message would wait.
const lifecycle = {
  get stopping() {
    return Atomics.load(stoppingFlag, 0) === 1;
  },
};
const cache: { current?: CachedObject } = {};

// Prefix mode: the snapshot, and the generation the main thread has published. Updates arrive on
// their own port; one that is still waiting there when a request comes is taken at once
// (receiveMessageOnPort), so this thread never answers from an older snapshot than any other.
let snapshot: Snapshot | undefined;
const published = job.site === undefined ? undefined : new Int32Array(job.site.published);

function applySnapshot(update: SnapshotUpdate): void {
  if (update.generation <= (snapshot?.generation ?? 0)) return;
  const previous = snapshot;
  const next = nextSnapshot(previous, update, job.cacheControl);
  snapshot = next.snapshot;
  if (previous === undefined) {
    releaseStartUpMemory(); // the first snapshot's message and building, before anything is served
    void listen();
  } else if (next.releasedBytes > 0) releaseDeadBuffer(next.releasedBytes);
}

const site = {
  get current(): Snapshot {
    const generation = Atomics.load(published!, 0);
    while (snapshot!.generation < generation) {
      const waiting = receiveMessageOnPort(job.site!.updates);
      if (waiting === undefined) break; // cannot be: the main thread posts an update before it publishes it
      applySnapshot(waiting.message as SnapshotUpdate);
    }
    return snapshot!;
  },
};
job.site?.updates.on('message', applySnapshot);

// Questions to the main thread, answered by id.
let lastId = 0;
const scrapes = new Map<number, (metrics: MetricsText) => void>();
const refreshes = new Map<number, (outcome: RefreshOutcome) => void>();

const scrape = (): Promise<MetricsText> => {
  const id = ++lastId;
  post({ type: 'metrics', id });
  return new Promise((resolve) => scrapes.set(id, resolve));
};

const requestRefresh = (): RefreshRequest => {
  const id = ++lastId;
  post({ type: 'refresh', id });
  return { outcome: new Promise((resolve) => refreshes.set(id, resolve)) };
};

const http = createHttpServer(
  createRequestHandler({
    // Requests arrive only once the first object (or snapshot) did.
    cache: job.site === undefined ? (cache as { current: CachedObject }) : undefined,
    site: job.site && { holder: site, options: job.site.options },
    lifecycle,
    count: (status) => counter.count(status),
    ops:
      job.opsPrefix === undefined
        ? undefined
        : {
            prefix: job.opsPrefix,
            scrape,
            refresh: job.refreshToken === undefined ? undefined : { token: job.refreshToken, request: requestRefresh },
          },
    accessLog: job.accessLog ? (entry) => post({ type: 'access', entry }) : undefined,
  }),
  {
    ...job.listen,
    onError: (error) => post({ type: 'socket-error', message: `listening socket error: ${error.message}` }),
  },
);

async function listen(): Promise<void> {
  try {
    await http.listen(job.listen.port, job.listen.host, true);
    post({ type: 'listening', address: http.server.address() });
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    post({ type: 'listen-failed', code, message });
  }
}

port.on('message', (message: MainToServing) => {
  switch (message.type) {
    case 'object': {
      const previous = cache.current;
      cache.current = toCachedObject(message.object, job.cacheControl).object;
      if (previous === undefined) void listen();
      else releaseDeadBuffer(previous.heldBytes);
      break;
    }
    case 'close':
      // Once closed, nothing else holds the thread's event loop: it ends (the main thread sees 'exit').
      void http.close().then(() => {
        job.site?.updates.close();
        port.close();
      });
      break;
    case 'metrics':
      scrapes.get(message.id)?.({ contentType: message.contentType, text: message.text });
      scrapes.delete(message.id);
      break;
    case 'refresh-outcome':
      refreshes.get(message.id)?.(message.outcome);
      refreshes.delete(message.id);
      break;
  }
});

// Loaded, and nothing to serve until the first object arrives.
releaseStartUpMemory();
