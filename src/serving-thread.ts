// Serving thread entry (HTTP_THREADS > 1: that many minus one, beside the main thread). Serves the
// snapshot on the same HOST:PORT as the main thread (SO_REUSEPORT: the kernel spreads connections
// over the listeners) from the shared memory the main thread hands it, and asks the main thread
// for what only it owns: metrics and refreshes. Signals never reach a worker thread: the main
// thread tells it when to stop.
import { parentPort, workerData } from 'node:worker_threads';
import { createHttpServer } from './http/http-server.ts';
import type { MetricsText } from './http/ops-endpoints.ts';
import { publishedSnapshot } from './http/published-snapshot.ts';
import { createRequestHandler } from './http/request-handler.ts';
import { nextSnapshot, type Snapshot } from './http/snapshot.ts';
import { pinCounter, RetainedSnapshots } from './http/snapshot-pins.ts';
import type { MainToServing, RefreshOrigin, RefreshOutcome, RefreshRequest, ServingJob, ServingToMain } from './serving-protocol.ts';
import { firstSnapshotBuilt, snapshotReplaced, threadLoaded } from './shared/memory-policy.ts';
import { RequestCounter } from './shared/request-counters.ts';

if (parentPort === null) throw new Error('serving-thread must run as a worker thread');
const port = parentPort;
const job = workerData as ServingJob;
// bcryptjs is loaded only where READ_AUTH_FILE asks for it; before the snapshot port listens, so
// that the first snapshot cannot open the port before the server exists.
const readAccess = job.readAccess && (await import('./http/read-access.ts')).createReadAccess(job.readAccess.credentials, job.readAccess.realm);
const post = (message: ServingToMain): void => port.postMessage(message);
const counter = new RequestCounter(job.requestCounters, job.index);
const stoppingFlag = new Int32Array(job.stoppingFlag);
// Readiness 503 and Connection: close from the moment the main thread sets the flag, even while
// this thread's event loop is busy and a message would wait.
const lifecycle = {
  get stopping() {
    return Atomics.load(stoppingFlag, 0) !== 0;
  },
};

let held: Snapshot | undefined;
const retained = new RetainedSnapshots();
const published = publishedSnapshot(job.snapshot.updates, job.snapshot.published, (update) => {
  const previous = held;
  const next = nextSnapshot(previous, update, job.cacheControl);
  held = next.snapshot;
  retained.update(previous, update.retain);
  if (previous === undefined) {
    firstSnapshotBuilt(held.objects.size);
    void listen();
  } else snapshotReplaced(next.releasedBytes);
  return held;
});

const source = {
  get current() {
    return published.current;
  },
  retained: (id: string) => retained.get(id),
};

// Questions to the main thread, each answered by a message with its id.
let lastId = 0;
const waiting = new Map<number, (answer: never) => void>();
function ask<T>(question: (id: number) => ServingToMain): Promise<T> {
  const id = ++lastId;
  post(question(id));
  return new Promise<T>((resolve) => waiting.set(id, resolve as (answer: never) => void));
}
function answer(id: number, value: unknown): void {
  waiting.get(id)?.(value as never);
  waiting.delete(id);
}

const skew = job.skew && {
  maxAgeSeconds: job.skew.maxAgeSeconds,
  catchUp: (pin: string) => ask<undefined>((id) => ({ type: 'catch-up', id, pin })),
  count: pinCounter(job.skew.pinCounters, job.index),
};
const scrape = () => ask<MetricsText>((id) => ({ type: 'metrics', id }));
const requestRefresh = (origin: RefreshOrigin): RefreshRequest => ({ outcome: ask<RefreshOutcome>((id) => ({ type: 'refresh', id, origin })) });

// Refusals for want of read credentials, reported to the main thread at most once a second.
let denied = 0;
const deniedAddresses = new Set<string>();
if (readAccess !== undefined) {
  setInterval(() => {
    if (denied === 0) return;
    post({ type: 'read-denied', denied, addresses: [...deniedAddresses] });
    denied = 0;
    deniedAddresses.clear();
  }, 1_000).unref();
}

const http = createHttpServer(
  createRequestHandler({
    // Requests arrive only once the first snapshot did.
    snapshot: { holder: source, paths: job.snapshot.paths, skew },
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
    readAccess: readAccess && {
      access: readAccess,
      denied: (req) => {
        denied++;
        if (deniedAddresses.size < 100) deniedAddresses.add(req.socket.remoteAddress ?? 'unknown');
      },
    },
  }),
  {
    ...job.listen,
    onError: (error) => post({ type: 'socket-error', message: `listening socket error: ${error.message}` }),
  },
);

// The main thread has closed the listeners: nothing new is served, whenever the 'close' message comes.
http.server.on('connection', (socket) => {
  if (Atomics.load(stoppingFlag, 0) === 2) socket.destroy();
});

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
    case 'close':
      // Once closed, nothing else holds the thread's event loop: it ends (the main thread sees 'exit').
      void http.close().then(() => {
        job.snapshot.updates.close();
        port.close();
      });
      break;
    case 'metrics':
      answer(message.id, { contentType: message.contentType, text: message.text });
      break;
    case 'caught-up':
      answer(message.id, undefined);
      break;
    case 'read-credentials':
      readAccess?.use(message.credentials);
      break;
    case 'refresh-outcome':
      answer(message.id, message.outcome);
      break;
  }
});

// Loaded, and nothing to serve until the first snapshot arrives.
threadLoaded();
