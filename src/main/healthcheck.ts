// Main thread of `--healthcheck`, a short process of its own (Docker's HEALTHCHECK, an exec
// probe): asks the running service's liveness endpoint, found from the same configuration as the
// service (OPS_PORT, OPS_HOST, OPS_PREFIX, OPS_ENDPOINTS), and exits 0 healthy or 1 not. It goes
// straight to the service, whatever proxy the environment names, and plain HTTP needs no CA.
import type { Config } from './config.ts';
import { directRequest } from './direct-request.ts';
import { writeLogLine } from './output.ts';

const probeTimeoutMs = 3_000;

/** A wildcard listen address is reached on loopback; IPv6 literals need brackets in a URL. */
function reachableHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

export function healthUrl(config: Config): string {
  const host = reachableHost(config.opsPort === undefined ? config.host : config.opsHost);
  const port = config.opsPort ?? config.port;
  // Without the operations endpoints, the object itself answering is the sign of life.
  const path = config.opsEndpoints ? `${config.opsPrefix}/healthz` : '/';
  return `http://${host}:${port}${path}`;
}

export async function probeHealth(config: Config): Promise<0 | 1> {
  const url = healthUrl(config);
  try {
    const status = await directRequest(new URL(url), { method: 'HEAD', timeoutMs: probeTimeoutMs });
    if (status >= 200 && status < 300) return 0;
    writeLogLine('error', `unhealthy: ${url} answered ${status}`);
  } catch (error) {
    writeLogLine('error', `unhealthy: ${url} did not answer: ${error instanceof Error ? error.message : String(error)}`);
  }
  return 1;
}
