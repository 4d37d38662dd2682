// Debian's nginx in the foreground on 127.0.0.1, for what tests and the bench put in front of or
// beside the service: a round-robin load balancer over replicas, or a static file server.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporaryDirectory } from './cleanup.ts';
import { freePort } from './net.ts';
import { startListeningDaemon } from './processes.ts';

export interface Nginx {
  url: string;
  stop: () => Promise<void>;
}

/** `http`: lines of the http block; `server`: what its one server (on a free port) does; `workers`: worker processes. */
export async function startNginx({ http = [], server, workers = 1 }: { http?: string[]; server: string; workers?: number }): Promise<Nginx> {
  const directory = temporaryDirectory('nginx');
  const port = await freePort();
  writeFileSync(
    join(directory, 'nginx.conf'),
    [
      'user root;',
      `worker_processes ${workers};`,
      `pid ${directory}/nginx.pid;`,
      `error_log ${directory}/error.log;`,
      'events { worker_connections 1024; }',
      'http {',
      '  access_log off;',
      `  client_body_temp_path ${directory}/body; proxy_temp_path ${directory}/proxy; fastcgi_temp_path ${directory}/fastcgi;`,
      `  uwsgi_temp_path ${directory}/uwsgi; scgi_temp_path ${directory}/scgi;`,
      ...http.map((line) => `  ${line}`),
      `  server { listen 127.0.0.1:${port}; ${server} }`,
      '}',
    ].join('\n'),
  );
  const stop = await startListeningDaemon('nginx', ['-p', directory, '-c', join(directory, 'nginx.conf'), '-g', 'daemon off;'], {
    port,
    stopSignal: 'SIGQUIT',
    logFile: join(directory, 'error.log'),
    readyWithinMs: 10_000,
  });
  return { url: `http://127.0.0.1:${port}`, stop };
}

/** Round-robin over the replicas on these ports, as a Service or an ingress in front of them would. */
export function startBalancer(replicaPorts: readonly number[]): Promise<Nginx> {
  return startNginx({
    http: [`upstream replicas { ${replicaPorts.map((replica) => `server 127.0.0.1:${replica};`).join(' ')} keepalive 16; }`],
    // X-Upstream names the replica that answered, for a failing test's message.
    server: 'location / { proxy_pass http://replicas; proxy_http_version 1.1; proxy_set_header Connection ""; add_header X-Upstream $upstream_addr always; }',
  });
}
