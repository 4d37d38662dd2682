// Main thread. A request straight to an address this process was given (its own liveness endpoint
// for --healthcheck, a peer replica for PEERS): never through a proxy the environment names
// (HTTP_PROXY with NODE_USE_ENV_PROXY would send fetch() there), bounded in time. Resolves with the
// status; the body is read and dropped.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

let agents: { http: HttpAgent; https: HttpsAgent } | undefined;

export function directRequest(url: URL, { method, headers = {}, timeoutMs }: { method: string; headers?: Record<string, string>; timeoutMs: number }): Promise<number> {
  agents ??= { http: new HttpAgent({ proxyEnv: {} }), https: new HttpsAgent({ proxyEnv: {} }) };
  const secure = url.protocol === 'https:';
  const send = secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(url, { method, headers, agent: secure ? agents!.https : agents!.http, signal: AbortSignal.timeout(timeoutMs) }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });
}
