#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=65536 node --expose-gc
// Main thread entry: configuration, then the fetch worker, then (after the first object arrived)
// the HTTP listeners. `run()` resolves to the exit code; process-fate.ts owns the exits that
// cannot wait for it (internal fault, stop deadline, second signal).
import { extname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { CachedObject } from './http/cached-object.ts';
import type { Snapshot } from './http/snapshot.ts';
import type { HttpServer } from './http/http-server.ts';
import { ConfigError, helpText, loadCommand, type Config } from './main/config.ts';
import { ExitCode } from './main/exit-codes.ts';
import { fetchJobOf, startFetchWorker } from './main/fetch-worker-handle.ts';
import { writeLogLine } from './main/output.ts';
import { installProcessFate, type ProcessFate } from './main/process-fate.ts';
import { RefreshRequests } from './main/refresh-requests.ts';
import type { AccessLogEntry } from './serving-protocol.ts';

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
    import('./http/cached-object.ts'),
    import('./http/http-server.ts'),
    import('./http/request-handler.ts'),
    import('./shared/release-memory.ts'),
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

async function serve(config: Config, fate: ProcessFate): Promise<ExitCode> {
  const worker = startFetchWorker(workerFile, fetchJobOf(config));
  const [
    { createLogger },
    { ServiceMetrics },
    { workerEvents },
    { startServingThreads },
    { cacheControlFor },
    { createHttpServer },
    { createRequestHandler },
    { releaseStartUpMemory },
  ] = await loadServing();
  const logger = await createLogger(config.logLevel, config.logFormat);
  fate.useLogger(logger);
  logger.info({ config: { ...config, refreshToken: config.refreshToken && '(set, not shown)' } }, 'starting');

  const metrics = new ServiceMetrics({ servingThreads: config.httpThreads, refreshIntervalMs: config.refreshIntervalMs });
  const lifecycle: { stopping: boolean; servers: HttpServer[] } = { stopping: false, servers: [] };
  const cache: { current?: CachedObject } = {};
  const site: { current?: Snapshot } = {};
  const cacheControl = cacheControlFor(config.refreshIntervalMs);
  const siteOptions =
    config.prefix === undefined
      ? undefined
      : { indexDocument: config.indexDocument, notFoundDocument: config.notFoundDocument, cacheControl };
  const refreshRequests = new RefreshRequests();
  /** A fetch that starts after this call (joining one queued behind a fetch in flight). */
  const requestRefresh = () => {
    const request = refreshRequests.add();
    worker.refresh();
    return request;
  };
  const scrape = async () => ({ contentType: metrics.registry.contentType, text: await metrics.registry.metrics() });
  const accessLog = logger.isLevelEnabled('debug') ? (entry: AccessLogEntry) => logger.debug(entry, 'request') : undefined;
  const opsOnPublicPort = config.opsEndpoints && config.opsPort === undefined;

  // Started now, so that they load while the first object is fetched; they listen once it is here.
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
          }),
          site: siteOptions,
          scrape,
          requestRefresh,
          accessLog: accessLog ?? (() => undefined),
          socketError: (message) => logger.warn({ port: config.port }, message),
          fault: (error) => fate.fault(error),
        })
      : undefined;

  let firstObjectArrived!: () => void;
  const firstObject = new Promise<void>((resolve) => (firstObjectArrived = resolve));
  worker.subscribe(
    workerEvents({
      config,
      cacheControl,
      cache,
      site,
      logger,
      metrics,
      fate,
      refreshRequests,
      newVersion: (object) => threads?.serve(object),
      newSnapshot: (update) => threads?.serveSnapshot(update),
      firstObjectArrived,
    }),
  );

  fate.onStop(async ({ drainDelay }) => {
    lifecycle.stopping = true; // readiness answers 503 from now on, in every thread
    threads?.stopping();
    const workerStopped = worker.stop(workerStopGraceMs);
    if (drainDelay && lifecycle.servers.length > 0 && config.drainDelayMs > 0) await sleep(config.drainDelayMs);
    await Promise.all([...lifecycle.servers.map((server) => server.close()), threads?.close(), workerStopped]);
  }, config.shutdownTimeoutMs);
  fate.onRefresh(() => {
    logger.info({ bucket: config.bucket, ...(config.prefix === undefined ? { key: config.key } : { prefix: config.prefix }) }, 'SIGHUP: refreshing now');
    requestRefresh(); // nobody waits for the outcome
  });

  const cannotListen = (error: unknown, port: number, host: string) => {
    const { code, message } = error as NodeJS.ErrnoException;
    const fix = port === config.opsPort ? 'OPS_PORT/OPS_HOST' : 'PORT/HOST';
    logger.fatal({ code, host, port }, `cannot listen on ${host}:${port}: ${message}; free the port or set ${fix}`);
    fate.end(ExitCode.cannotListen);
  };
  const listen = async (port: number, host: string, handler: Parameters<typeof createHttpServer>[0]) => {
    const server = createHttpServer(handler, {
      ...config,
      onError: (error) => logger.warn({ code: error.code, port }, `listening socket error: ${error.message}`),
    });
    lifecycle.servers.push(server);
    try {
      await server.listen(port, host, threads !== undefined && port === config.port);
      return server.server.address();
    } catch (error) {
      cannotListen(error, port, host);
      return undefined;
    }
  };

  // Loaded, and nothing to serve until the worker has fetched the first object (~70 ms more).
  releaseStartUpMemory();
  void firstObject.then(async () => {
    if (lifecycle.stopping) return; // a signal came during start-up: nothing to open
    const handlerFor = (servesObject: boolean, servesOps: boolean) =>
      createRequestHandler({
        cache: servesObject && siteOptions === undefined ? (cache as { current: CachedObject }) : undefined,
        site: servesObject && siteOptions !== undefined ? { holder: site as { current: Snapshot }, options: siteOptions } : undefined,
        lifecycle,
        count: (status) => metrics.countRequest(status),
        ops: servesOps
          ? {
              prefix: config.opsPrefix,
              scrape,
              refresh: config.refreshToken === undefined ? undefined : { token: config.refreshToken, request: requestRefresh },
            }
          : undefined,
        accessLog,
      });
    const opsAddress =
      config.opsPort !== undefined ? await listen(config.opsPort, config.opsHost, handlerFor(false, true)) : undefined;
    if (config.opsPort !== undefined && opsAddress === undefined) return;
    const address = await listen(config.port, config.host, handlerFor(true, opsOnPublicPort));
    if (address === undefined) return;
    try {
      await threads?.listening;
    } catch (error) {
      cannotListen(error, config.port, config.host);
      return;
    }
    logger.info({ address, ...(opsAddress && { opsAddress }), httpThreads: config.httpThreads }, 'listening');
  });

  return fate.outcome;
}

process.exit(await run());
