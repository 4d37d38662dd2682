// Main thread of `--healthcheck`, a short process of its own (Docker's HEALTHCHECK, an exec
// probe): asks the running service's liveness endpoint, found from the same configuration as the
// service (OPS_PORT, OPS_HOST, OPS_PREFIX, OPS_ENDPOINTS), and exits 0 healthy or 1 not. It goes
// straight to the service: never through a proxy the environment names (HTTP_PROXY with
// NODE_USE_ENV_PROXY would send fetch() there), and plain HTTP needs no CA.
import { Agent, request } from 'node:http';
import type { Config } from './config.ts';
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

/** The status the service answered a HEAD with. */
function headStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = request(url, { method: 'HEAD', agent: new Agent({ proxyEnv: {} }), signal: AbortSignal.timeout(probeTimeoutMs) }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    probe.on('error', reject);
    probe.end();
  });
}

export async function probeHealth(config: Config): Promise<0 | 1> {
  const url = healthUrl(config);
  try {
    const status = await headStatus(url);
    if (status >= 200 && status < 300) return 0;
    writeLogLine('error', `unhealthy: ${url} answered ${status}`);
  } catch (error) {
    writeLogLine('error', `unhealthy: ${url} did not answer: ${error instanceof Error ? error.message : String(error)}`);
  }
  return 1;
}
