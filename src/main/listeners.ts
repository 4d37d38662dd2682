// Main thread. The listen sequence, once the first snapshot is here: OPS_PORT's listener (where
// set), then PORT's, beside which the serving threads open theirs (SO_REUSEPORT), then one
// `listening` line. A port that cannot be opened ends the process with exit 3 and one line naming
// the setting to change.
import type { RequestListener } from 'node:http';
import { createHttpServer, type HttpServer } from '../http/http-server.ts';
import type { SnapshotSource } from '../http/snapshot-pins.ts';
import type { Config } from './config.ts';
import { ExitCode } from './exit-codes.ts';
import type { Logger } from './logger.ts';
import type { ProcessFate } from './process-fate.ts';
import type { ServingThreads } from './serving-threads.ts';

/** `public`: PORT's listener, which serves the snapshot; `ops`: OPS_PORT's, the operations endpoints alone. */
export type ListenerRole = 'public' | 'ops';

export interface ListenersOptions {
  config: Config;
  logger: Logger;
  fate: ProcessFate;
  threads: ServingThreads | undefined;
  handlerFor: (role: ListenerRole, snapshot: SnapshotSource) => RequestListener;
}

export interface Listeners {
  /** Opens every port; a failure ends the process (exit 3). */
  open(snapshot: SnapshotSource): Promise<void>;
  /** Whether any port has been opened (a stop then drains it). */
  readonly opened: boolean;
  /** Closes each listener once its responses in flight are finished. */
  close(): Promise<void>;
}

export function createListeners({ config, logger, fate, threads, handlerFor }: ListenersOptions): Listeners {
  const servers: HttpServer[] = [];

  const cannotListen = (error: unknown, port: number, host: string) => {
    const { code, message } = error as NodeJS.ErrnoException;
    const fix = port === config.opsPort ? 'OPS_PORT/OPS_HOST' : 'PORT/HOST';
    logger.fatal({ code, host, port }, `cannot listen on ${host}:${port}: ${message}; free the port or set ${fix}`);
    fate.end(ExitCode.cannotListen);
  };

  /** The listener's address, or undefined once it failed (and the process is ending). */
  const listen = async (port: number, host: string, handler: RequestListener) => {
    const server = createHttpServer(handler, {
      ...config,
      onError: (error) => logger.warn({ code: error.code, port }, `listening socket error: ${error.message}`),
    });
    servers.push(server);
    try {
      await server.listen(port, host, threads !== undefined && port === config.port);
      return server.server.address() ?? undefined;
    } catch (error) {
      cannotListen(error, port, host);
      return undefined;
    }
  };

  return {
    async open(snapshot) {
      const { opsPort } = config;
      const opsAddress = opsPort === undefined ? undefined : await listen(opsPort, config.opsHost, handlerFor('ops', snapshot));
      if (opsPort !== undefined && opsAddress === undefined) return;
      const address = await listen(config.port, config.host, handlerFor('public', snapshot));
      if (address === undefined) return;
      try {
        await threads?.listening;
      } catch (error) {
        cannotListen(error, config.port, config.host);
        return;
      }
      logger.info({ address, ...(opsAddress && { opsAddress }), httpThreads: config.httpThreads }, 'listening');
    },
    get opened() {
      return servers.length > 0;
    },
    async close() {
      await Promise.all(servers.map((server) => server.close()));
    },
  };
}
