#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=65536 node --expose-gc
// Main thread entry: configuration, then the fetch worker, then (after the first snapshot arrived)
// the HTTP listeners. `run()` resolves to the exit code; process-fate.ts owns the exits that
// cannot wait for it (internal fault, stop deadline, second signal).
import { extname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Snapshot } from './http/snapshot.ts';
import { ConfigError, helpText, loadCommand, type Config } from './main/config.ts';
import { ExitCode } from './main/exit-codes.ts';
import { fetchJobOf, startFetchWorker } from './main/fetch-worker-handle.ts';
import { writeLogLine } from './main/output.ts';
import { installProcessFate, type ProcessFate } from './main/process-fate.ts';
import { RefreshRequests } from './main/refresh-requests.ts';
import type { AccessLogEntry, RefreshOrigin, SnapshotPaths } from './serving-protocol.ts';
import { startReadAccess } from './main/read-access.ts';

// Built code runs dist/main.js beside dist/fetch-worker.js; source run with Node's type
// stripping runs src/main.ts beside src/fetch-worker.ts. Both entries sit at the top.
const extension = extname(fileURLToPath(import.meta.url));
const workerFile = new URL(`./fetch-worker${extension}`, import.meta.url);
const servingThreadFile = new URL(`./serving-thread${extension}`, import.meta.url);

// Loaded while the worker starts (below): pino, prom-client and node:http take this thread
// ~100 ms, the AWS SDK and the first fetch take the worker longer, on the other core. The lint
// forbids importing these statically here.
const loadServing = () =>
  Promise.all([
    import('./main/logger.ts'),
    import('./main/metrics.ts'),
    import('./main/worker-events.ts'),
    import('./main/serving-threads.ts'),
    import('./main/listeners.ts'),
    import('./http/cached-object.ts'),
    import('./http/request-handler.ts'),
    import('./shared/memory-policy.ts'),
    import('./main/peers.ts'),
    import('./main/skew-protection.ts'),
    import('./http/snapshot-pins.ts'),
  ]);

/** The worker gets time to cancel its fetch and end cleanly before it is terminated. */
const workerStopGraceMs = 1_000;

async function run(): Promise<ExitCode> {
  const fate = installProcessFate(); // first: a throw from here on is an internal fault (exit 70)
  let command;
  try {
    command = loadCommand(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    writeLogLine('fatal', error.message);
    return ExitCode.invalidConfig;
  }
  if (command.command === 'help') {
    process.stdout.write(helpText());
    return ExitCode.stopped;
  }
  if (command.command === 'healthcheck') {
    const { probeHealth } = await import('./main/healthcheck.ts');
    return probeHealth(command.config);
  }
  return serve(command.config, fate);
}

/** How request paths map to the snapshot's entries in this mode. */
function snapshotPathsOf(config: Config, cacheControl: string): SnapshotPaths {
  if (config.prefix === undefined) return { mode: 'object' };
  const { indexDocument, notFoundDocument, fallbackDocument } = config;
  return { mode: 'prefix', indexDocument, notFoundDocument, fallbackDocument, cacheControl };
}

/** Wiring: the fetch worker, the serving threads, the listeners and the stop, each in its own module. */
async function serve(config: Config, fate: ProcessFate): Promise<ExitCode> {
  const readFile = config.readAuthFile;
  const worker = startFetchWorker(workerFile, fetchJobOf(config));
  const [
    { createLogger },
    { ServiceMetrics },
    { workerEvents },
    { startServingThreads },
    { createListeners },
    { cacheControlFor },
    { createRequestHandler },
    { mallocTrim, threadLoaded },
    { createFanOut },
    { Retention, createCatchUp },
    { heldSnapshot, pinCounter },
  ] = await loadServing();
  const logger = await createLogger(config.logLevel, config.logFormat);
  fate.useLogger(logger);
  const shownConfig = {
    ...config,
    refreshToken: config.refreshToken && '(set, not shown)',
    storeProxy: config.storeProxy.shown,
    readAuthFile: config.readAuthFile?.path,
  };
  logger.info({ config: shownConfig, mallocTrim }, 'starting');

  const metrics = new ServiceMetrics({ servingThreads: config.httpThreads, refreshIntervalMs: config.refreshIntervalMs });
  const lifecycle = { stopping: false };
  // Behind read credentials no shared cache may keep a copy to hand to others.
  const cacheControl = cacheControlFor(config.refreshIntervalMs, readFile === undefined ? 'public' : 'private');
  const paths = snapshotPathsOf(config, cacheControl);
  const refreshRequests = new RefreshRequests();
  const fanOut =
    config.peers && config.refreshToken
      ? createFanOut({ peers: config.peers, token: config.refreshToken, refreshPath: `${config.opsPrefix}/refresh`, ownPort: config.opsPort ?? config.port, logger, metrics })
      : undefined;
  /** A fetch that starts after this call (joining one queued behind a fetch in flight); a push is passed on to the peers. */
  const requestRefresh = (origin: RefreshOrigin) => {
    const request = refreshRequests.add();
    worker.refresh();
    if (origin === 'push') void fanOut?.();
    return request;
  };
  const retention = new Retention({ skewMs: config.skewProtectionMs, retainedSnapshots: config.retainedSnapshots, maxTotalBytes: config.maxTotalBytes });
  const catchUp = createCatchUp(
    () => requestRefresh('local').outcome,
    (id) => served !== undefined && heldSnapshot(served, id) !== undefined,
  );
  const maxAgeSeconds = Math.floor(config.skewProtectionMs / 1000);
  const skew = maxAgeSeconds > 0 ? { maxAgeSeconds, catchUp, count: pinCounter(metrics.pinCounters, 0) } : undefined;
  const scrape = async () => ({ contentType: metrics.registry.contentType, text: await metrics.registry.metrics() });
  const accessLog = logger.isLevelEnabled('debug') ? (entry: AccessLogEntry) => logger.debug(entry, 'request') : undefined;
  const ops = {
    prefix: config.opsPrefix,
    scrape,
    refresh: config.refreshToken === undefined ? undefined : { token: config.refreshToken, request: requestRefresh },
  };
  const opsOnPublicPort = config.opsEndpoints && config.opsPort === undefined;

  // Started now, so that they load while the first snapshot is fetched; they listen once it is here.
  const threads =
    config.httpThreads > 1
      ? startServingThreads({
          entry: servingThreadFile,
          count: config.httpThreads - 1,
          jobOf: (index) => ({
            index,
            listen: config,
            cacheControl,
            opsPrefix: opsOnPublicPort ? config.opsPrefix : undefined,
            refreshToken: config.refreshToken,
            accessLog: accessLog !== undefined,
            requestCounters: metrics.requestCounters,
            readAccess: readFile && { credentials: readFile.credentials, realm: config.readAuthRealm },
            skew: skew && { maxAgeSeconds, pinCounters: metrics.pinCounters },
          }),
          paths,
          scrape,
          requestRefresh,
          catchUp,
          accessLog: accessLog ?? (() => undefined),
          readDenied: (count, addresses) => readAccess?.manager.denied(count, addresses),
          socketError: (message) => logger.warn({ port: config.port }, message),
          fault: (error) => fate.fault(error),
        })
      : undefined;

  const readAccess =
    readFile &&
    (await startReadAccess({
      ...readFile,
      realm: config.readAuthRealm,
      logger,
      metrics,
      toThreads: (credentials) => threads?.useReadCredentials(credentials),
    }));
  const listeners = createListeners({
    config,
    logger,
    fate,
    threads,
    handlerFor: (role, snapshot) =>
      createRequestHandler({
        snapshot: role === 'public' ? { holder: snapshot, paths, skew } : undefined,
        lifecycle,
        count: (status) => metrics.countRequest(status),
        ops: role === 'ops' || opsOnPublicPort ? ops : undefined,
        accessLog,
        readAccess: role === 'public' ? readAccess?.check : undefined,
      }),
  });

  let served: { current: Snapshot; retained: (id: string) => Snapshot | undefined } | undefined;
  const firstSnapshot = Promise.withResolvers<NonNullable<typeof served>>();
  worker.subscribe(
    workerEvents({
      config,
      cacheControl,
      logger,
      metrics,
      fate,
      refreshRequests,
      retention,
      publish: (update) => threads?.publish(update),
      swapIn: (snapshot) => {
        if (served === undefined) firstSnapshot.resolve((served = { current: snapshot, retained: (id) => retention.get(id) }));
        else served.current = snapshot;
      },
    }),
  );

  fate.onStop(async ({ drainDelay }) => {
    lifecycle.stopping = true; // readiness answers 503 from now on, in every thread
    readAccess?.manager.stop();
    threads?.stopping();
    const workerStopped = worker.stop(workerStopGraceMs);
    if (drainDelay && listeners.opened && config.drainDelayMs > 0) await sleep(config.drainDelayMs);
    await Promise.all([listeners.close(), threads?.close(), workerStopped]);
  }, config.shutdownTimeoutMs);
  fate.onRefresh(() => {
    logger.info({ bucket: config.bucket, ...(config.prefix === undefined ? { key: config.key } : { prefix: config.prefix }) }, 'SIGHUP: refreshing now');
    requestRefresh('local'); // nobody waits for the outcome
    readAccess?.manager.reload();
  });

  // Loaded, and nothing to serve until the worker has fetched the first snapshot (~70 ms more).
  threadLoaded();
  void firstSnapshot.promise.then((snapshot) => {
    if (!lifecycle.stopping) return listeners.open(snapshot); // a signal during start-up: nothing to open
  });

  return fate.outcome;
}

process.exit(await run());
