// Main thread. The serving threads beside it (HTTP_THREADS > 1): starts them, hands each next
// snapshot to each (shared memory, no copy) and publishes its generation, answers what they ask
// of the main thread (metrics, refreshes, catch-ups), relays their access log and refusals, stops
// them, and treats a thread that dies as an internal fault: never a silent loss of capacity.
import { MessageChannel, Worker } from 'node:worker_threads';
import type { MetricsText } from '../http/ops-endpoints.ts';
import type {
  AccessLogEntry,
  MainToServing,
  ReadCredentials,
  RefreshOrigin,
  RefreshRequest,
  ServingJob,
  ServingToMain,
  SnapshotPaths,
  SnapshotUpdate,
} from '../serving-protocol.ts';

export interface ServingThreadsOptions {
  entry: URL;
  count: number;
  /** The job of the thread with this index (1..count; 0 is the main thread). */
  jobOf: (index: number) => Omit<ServingJob, 'stoppingFlag' | 'snapshot'>;
  paths: SnapshotPaths;
  scrape: () => Promise<MetricsText>;
  requestRefresh: (origin: RefreshOrigin) => RefreshRequest;
  /** SKEW_PROTECTION: a refresh that may bring `pin`, done or declined. */
  catchUp: (pin: string) => Promise<void>;
  accessLog: (entry: AccessLogEntry) => void;
  /** Requests a thread refused for want of read credentials, and from where. */
  readDenied: (count: number, addresses: readonly string[]) => void;
  /** A thread's listening socket failed after it opened: a warning. */
  socketError: (message: string) => void;
  /** A thread died or said something it should not have: the process cannot go on as it is. */
  fault: (error: Error) => void;
}

export interface ServingThreads {
  /**
   * Every thread gets the next snapshot, then its generation is published: from then on no thread
   * answers from an older one (the first one opens their ports).
   */
  publish(update: SnapshotUpdate): void;
  /** READ_AUTH_FILE reloaded: every thread checks these credentials from now on. */
  useReadCredentials(credentials: ReadCredentials): void;
  /** Resolves once each thread listens; rejects with the first that cannot. */
  readonly listening: Promise<void>;
  /** Readiness 503 and Connection: close from now on, in every thread. */
  stopping(): void;
  /** Resolves once every thread has closed its listener, finished its responses and ended. */
  close(): Promise<void>;
}

export function startServingThreads(options: ServingThreadsOptions): ServingThreads {
  let closing = false;
  const stoppingFlag = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  const published = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  const listens: Array<Promise<void>> = [];
  const ends: Array<Promise<void>> = [];
  const threads = Array.from({ length: options.count }, (_, offset) => {
    const index = offset + 1;
    const snapshots = new MessageChannel();
    const snapshot = { paths: options.paths, updates: snapshots.port2, published };
    const job: ServingJob = { ...options.jobOf(index), stoppingFlag, snapshot };
    const worker = new Worker(options.entry, { workerData: job, transferList: [snapshots.port2], name: `http-${index}` });
    const send = (message: MainToServing) => worker.postMessage(message);
    const sendSnapshot = (update: SnapshotUpdate) => snapshots.port1.postMessage(update);
    listens.push(
      new Promise<void>((resolve, reject) => {
        worker.on('message', (message: ServingToMain) => {
          switch (message.type) {
            case 'listening':
              resolve();
              break;
            case 'listen-failed':
              reject(Object.assign(new Error(message.message), { code: message.code }));
              break;
            case 'socket-error':
              options.socketError(`serving thread ${index}: ${message.message}`);
              break;
            case 'metrics':
              void options.scrape().then(({ contentType, text }) => send({ type: 'metrics', id: message.id, contentType, text }));
              break;
            case 'refresh':
              void options.requestRefresh(message.origin).outcome.then((outcome) => send({ type: 'refresh-outcome', id: message.id, outcome }));
              break;
            case 'catch-up':
              void options.catchUp(message.pin).then(() => send({ type: 'caught-up', id: message.id }));
              break;
            case 'access':
              options.accessLog(message.entry);
              break;
            case 'read-denied':
              options.readDenied(message.denied, message.addresses);
              break;
          }
        });
      }),
    );
    ends.push(
      new Promise<void>((resolve) => {
        worker.on('error', (error) => options.fault(new Error(`serving thread ${index} crashed: ${error.message}`)));
        worker.on('exit', (code) => {
          if (!closing) options.fault(new Error(`serving thread ${index} exited unexpectedly with code ${code}`));
          resolve();
        });
      }),
    );
    return { send, sendSnapshot };
  });

  return {
    publish(update) {
      // Posted before it is published: a thread that reads the new generation finds it on its port.
      for (const thread of threads) thread.sendSnapshot(update);
      Atomics.store(new Int32Array(published), 0, update.generation);
    },
    useReadCredentials(credentials) {
      for (const thread of threads) thread.send({ type: 'read-credentials', credentials });
    },
    listening: Promise.all(listens).then(() => undefined),
    stopping() {
      Atomics.store(new Int32Array(stoppingFlag), 0, 1);
    },
    async close() {
      closing = true;
      // At once, in every thread: its own close waits for the message.
      Atomics.store(new Int32Array(stoppingFlag), 0, 2);
      for (const thread of threads) thread.send({ type: 'close' });
      await Promise.all(ends);
    },
  };
}
