#!/usr/bin/env node
// The main thread: configuration, then the fetch worker, then (after the first object arrived)
// the HTTP server. It exits 1 when the worker reports a failure and 0 on SIGTERM or SIGINT.
import { setTimeout } from 'node:timers/promises';
import { cacheControlFor, toCachedObject, type CachedObject } from './cached-object.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { ExitCode } from './exit-codes.ts';
import { startFetchWorker } from './fetch-worker-handle.ts';
import type { HttpServer } from './http-server.ts';
import type { Logger } from './logger.ts';
import type { FetchJob } from './protocol.ts';

// Everything else loads while the worker starts (below): pino, prom-client and node:http take
// this thread ~100 ms, the AWS SDK and the first fetch take the worker longer, on the other core.
const loadServing = () =>
  Promise.all([
    import('./logger.ts'),
    import('./metrics.ts'),
    import('./http-server.ts'),
    import('./request-handler.ts'),
    import('./release-memory.ts'),
    import('./shutdown.ts'),
  ]);

/** The worker gets time to cancel its fetch and end cleanly before it is terminated. */
const workerStopGraceMs = 1_000;

async function readConfig(): Promise<Config | undefined> {
  try {
    return loadConfig(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const { createLogger } = await import('./logger.ts');
    createLogger('info').fatal(error.message);
    process.exit(ExitCode.invalidConfig);
  }
}

function fetchJobOf(config: Config): FetchJob {
  const { bucket, key, endpoint, forcePathStyle, region, refreshIntervalMs, fetchTimeoutMs, maxObjectBytes } = config;
  return { bucket, key, endpoint, forcePathStyle, region, refreshIntervalMs, fetchTimeoutMs, maxObjectBytes };
}

function exitOnInternalFault(logger: Logger): void {
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, `internal fault: ${error.message}`);
    process.exit(ExitCode.internalFault);
  });
}

/** Until the graceful handlers are in place, a stop signal ends the process at once. */
function exitAtOnce(): void {
  process.exit(ExitCode.stopped);
}

/** Until then, SIGHUP (whose default would end the process) is moot: the first fetch is on. */
function ignoreSignal(): void {}

async function main(): Promise<void> {
  const config = await readConfig();
  if (config === undefined) return; // --help was printed
  process.on('SIGTERM', exitAtOnce).on('SIGINT', exitAtOnce).on('SIGHUP', ignoreSignal);
  const worker = startFetchWorker(fetchJobOf(config));
  const [
    { createLogger, redactUrl },
    { ServiceMetrics },
    { createHttpServer },
    { createRequestHandler },
    { releaseDeadBuffer },
    { exitOnStopSignals },
  ] = await loadServing();
  const logger = createLogger(config.logLevel);
  exitOnInternalFault(logger);
  logger.info({ config: { ...config, endpoint: redactUrl(config.endpoint) } }, 'starting');

  const metrics = new ServiceMetrics();
  const lifecycle: { stopping: boolean; http?: HttpServer } = { stopping: false };
  const cache: { current?: CachedObject } = {};
  const cacheControl = cacheControlFor(config.refreshIntervalMs);
  const object = { bucket: config.bucket, key: config.key };
  let firstObjectArrived!: () => void;
  const firstObject = new Promise<void>((resolve) => (firstObjectArrived = resolve));

  worker.subscribe({
    changed(fetched, durationMs) {
      const previous = cache.current;
      cache.current = toCachedObject(fetched, cacheControl);
      metrics.refreshChanged(fetched.body.byteLength);
      logger.info(
        {
          ...object,
          etag: fetched.etag,
          size: fetched.body.byteLength,
          ...(previous && { previousEtag: previous.etag, previousSize: previous.body.byteLength }),
          durationMs,
        },
        previous ? 'object changed' : 'object fetched',
      );
      if (previous) releaseDeadBuffer(previous.body.byteLength);
      else firstObjectArrived();
    },
    unchanged(durationMs) {
      metrics.refreshUnchanged();
      logger.debug({ ...object, etag: cache.current?.etag, durationMs }, 'object unchanged');
    },
    failed(failure) {
      metrics.refreshFailed();
      logger.error({ ...object, code: failure.code, httpStatus: failure.httpStatus }, failure.message);
      process.exit(ExitCode.fetchFailed);
    },
  });

  process.off('SIGTERM', exitAtOnce).off('SIGINT', exitAtOnce).off('SIGHUP', ignoreSignal);
  exitOnStopSignals({
    timeoutMs: config.shutdownTimeoutMs,
    logger,
    async stop() {
      lifecycle.stopping = true; // readiness answers 503 from now on
      const workerStopped = worker.stop(workerStopGraceMs);
      if (lifecycle.http !== undefined && config.drainDelayMs > 0) await setTimeout(config.drainDelayMs);
      await Promise.all([lifecycle.http?.close(), workerStopped]);
    },
  });
  process.on('SIGHUP', () => {
    logger.info({ ...object }, 'SIGHUP: refreshing now');
    worker.refresh();
  });

  await firstObject;
  if (lifecycle.stopping) return; // a signal came during start-up; its handler exits
  const http = createHttpServer(
    createRequestHandler({
      cache: cache as { current: CachedObject },
      lifecycle,
      metrics,
      opsPrefix: config.opsEndpoints ? config.opsPrefix : undefined,
      logger,
    }),
  );
  lifecycle.http = http;
  try {
    await http.listen(config.port, config.host);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    logger.fatal(
      { code, host: config.host, port: config.port },
      `cannot listen on ${config.host}:${config.port}: ${message}; free the port or set PORT/HOST`,
    );
    process.exit(ExitCode.cannotListen);
  }
  logger.info({ address: http.server.address() }, 'listening');
}

await main();
