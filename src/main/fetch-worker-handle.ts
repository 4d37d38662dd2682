// Main thread. Its side of the fetch worker: starts it, checks what it says, and turns a crash, an
// unreadable or malformed message, or an unexpected exit into one failure callback.
import { Worker } from 'node:worker_threads';
import { isWorkerToMain } from '../protocol.ts';
import type { FetchJob, MainToWorker, WorkerToMain } from '../protocol.ts';
import type { Config } from './config.ts';

/** The worker's part of the configuration: each field of its job, checked against Config. */
export function fetchJobOf(config: Config): FetchJob {
  return {
    bucket: config.bucket,
    key: config.key,
    endpoint: config.endpoint,
    forcePathStyle: config.forcePathStyle,
    proxy: config.storeProxy.proxy,
    caBundle: config.caBundle,
    region: config.region,
    refreshIntervalMs: config.refreshIntervalMs,
    fetchTimeoutMs: config.fetchTimeoutMs,
    maxObjectBytes: config.maxObjectBytes,
    compression: config.compression,
    compressionMaxBytes: config.compressionMaxBytes,
    integrityCheck: config.integrityCheck,
    staleIfErrorMs: config.staleIfErrorMs,
    cacheFile: config.cacheFile,
    prefix: config.prefix,
    fallbackDocument: config.fallbackDocument,
    snapshotMarker: config.snapshotMarker,
    maxObjects: config.maxObjects,
    maxTotalBytes: config.maxTotalBytes,
    fetchConcurrency: config.fetchConcurrency,
  };
}

type Report<T extends WorkerToMain['type']> = Extract<WorkerToMain, { type: T }>;

export interface FetchWorkerEvents {
  changed(report: Report<'changed'>): void;
  unchanged(report: Report<'unchanged'>): void;
  /** Unless `retrying`, the last event: the worker has stopped (or crashed, or said nonsense). */
  failed(report: Report<'failed'>): void;
  warning(report: Report<'warning'>): void;
}

export interface FetchWorkerHandle {
  /** Delivers the worker's events from now on, those that came before first. */
  subscribe(events: FetchWorkerEvents): void;
  /** Fetch now, without waiting for the next slot. */
  refresh(): void;
  /** Cancels any fetch in flight and ends the thread; forced after `graceMs`. */
  stop(graceMs: number): Promise<void>;
}

/** `workerFile`: the worker's entry, which the main thread's entry finds beside itself. */
export function startFetchWorker(workerFile: URL, job: FetchJob): FetchWorkerHandle {
  const worker = new Worker(workerFile, { workerData: job, name: 'fetch-worker' });
  let settled = false; // failed, or asked to stop: no more events
  // The main thread subscribes once it has loaded its own modules; the worker may speak first.
  const pending: Array<(events: FetchWorkerEvents) => void> = [];
  let subscriber: FetchWorkerEvents | undefined;
  const deliver = (event: (events: FetchWorkerEvents) => void): void => {
    if (subscriber) event(subscriber);
    else pending.push(event);
  };

  const fail = (code: string, message: string): void => {
    if (settled) return;
    settled = true;
    const failure = { code, httpStatus: undefined, message };
    deliver((events) => events.failed({ type: 'failed', failure, durationMs: 0, answers: 0, retrying: false }));
  };

  worker.on('message', (message: unknown) => {
    if (settled) return;
    if (!isWorkerToMain(message)) {
      fail('MalformedMessage', `fetch worker sent a malformed message: ${JSON.stringify(message)?.slice(0, 200)}`);
      return;
    }
    if (message.type === 'changed') deliver((events) => events.changed(message));
    else if (message.type === 'unchanged') deliver((events) => events.unchanged(message));
    else if (message.type === 'warning') deliver((events) => events.warning(message));
    else {
      settled = !message.retrying;
      deliver((events) => events.failed(message));
    }
  });
  worker.on('messageerror', (error) => fail('MessageError', `fetch worker message could not be read: ${error.message}`));
  worker.on('error', (error) => fail('WorkerCrashed', `fetch worker crashed: ${error.message}`));
  worker.on('exit', (code) => fail('WorkerExited', `fetch worker exited unexpectedly with code ${code}`));

  return {
    subscribe(events) {
      subscriber = events;
      for (const event of pending.splice(0)) event(events);
    },
    refresh() {
      if (!settled) worker.postMessage({ type: 'refresh' } satisfies MainToWorker);
    },
    async stop(graceMs) {
      settled = true;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      if (worker.threadId === -1) return; // already gone
      worker.postMessage({ type: 'stop' } satisfies MainToWorker);
      const forced = setTimeout(() => void worker.terminate(), graceMs);
      await exited;
      clearTimeout(forced);
    },
  };
}
