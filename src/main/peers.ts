// Main thread. Push fan-out (PEERS): a push that reached this replica (the refresh endpoint, a Ceph
// RGW notification) is passed on once to every other replica, marked so that none passes it on
// again, with the same token, 8 at a time, 2 s each. A DNS name is resolved at each fan-out (a
// Kubernetes headless Service's addresses are the replicas of the moment). A peer that fails is
// logged and counted, never fatal: its own refresh schedule still covers it.
import { lookup } from 'node:dns/promises';
import { networkInterfaces } from 'node:os';
import pLimit from 'p-limit';
import { passedOnHeader } from '../http/refresh-endpoint.ts';
import { directRequest } from './direct-request.ts';
import type { Logger } from './logger.ts';
import type { ServiceMetrics } from './metrics.ts';

export type Peers = { dns: string; port: number } | { urls: string[] };

const timeoutMs = 2_000;
const atOnce = 8;

/** The peers' base URLs now, without this replica (one of its own addresses on its own port). */
async function peerUrls(peers: Peers, ownPort: number): Promise<URL[]> {
  const urls =
    'urls' in peers
      ? peers.urls.map((url) => new URL(url))
      : (await lookup(peers.dns, { all: true })).map(({ address, family }) => new URL(`http://${family === 6 ? `[${address}]` : address}:${peers.port}`));
  const own = new Set(Object.values(networkInterfaces()).flatMap((addresses) => (addresses ?? []).map(({ address }) => address)));
  own.add('localhost');
  const port = (url: URL) => Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return urls.filter((url) => !(port(url) === ownPort && own.has(url.hostname.replace(/^\[(.*)\]$/, '$1'))));
}

async function passOn(url: URL, path: string, token: string): Promise<void> {
  const target = new URL(`${url.pathname.replace(/\/$/, '')}${path}?wait=0`, url);
  const status = await directRequest(target, { method: 'POST', headers: { authorization: `Bearer ${token}`, [passedOnHeader]: '1' }, timeoutMs });
  if (status !== 202 && status !== 200) throw new Error(`it answered ${status}`);
}

export function createFanOut(options: { peers: Peers; token: string; refreshPath: string; ownPort: number; logger: Logger; metrics: ServiceMetrics }) {
  const { peers, token, refreshPath, ownPort, logger, metrics } = options;
  return async (): Promise<void> => {
    let urls: URL[];
    try {
      urls = await peerUrls(peers, ownPort);
    } catch (error) {
      metrics.peerPush('failed');
      logger.warn({ code: 'PeersUnresolved' }, `cannot pass the push on: PEERS does not resolve (${(error as NodeJS.ErrnoException).code ?? String(error)}); check PEERS`);
      return;
    }
    const limit = pLimit(atOnce);
    await Promise.all(
      urls.map((url) =>
        limit(async () => {
          try {
            await passOn(url, refreshPath, token);
            metrics.peerPush('passed_on');
          } catch (error) {
            metrics.peerPush('failed');
            logger.warn({ code: 'PeerUnreachable', peer: url.host }, `cannot pass the push on to the peer ${url.host}: ${(error as Error).message}; it refreshes on its own schedule`);
          }
        }),
      ),
    );
  };
}
