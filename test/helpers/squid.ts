// A real forward proxy for the tests: Debian's squid in the foreground on 127.0.0.1, optionally
// asking for Basic credentials, its access log readable. Squid drops to the user `proxy`, so its
// directory is one of its own under /tmp that that user can enter (the test's TMPDIR is private).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onCleanup } from './cleanup.ts';
import { freePort } from './net.ts';
import { startListeningDaemon } from './processes.ts';

export interface Squid {
  /** http://127.0.0.1:PORT, with the credentials when it asks for them. */
  url: string;
  /** Every request squid handled so far: `GET http://...`, `CONNECT host:port`, with its status. */
  accessLog(): string;
  stop(): Promise<void>;
}

export async function startSquid(credentials?: { user: string; password: string }): Promise<Squid> {
  const directory = mkdtempSync('/tmp/s3-object-cache-squid-');
  onCleanup(() => rmSync(directory, { recursive: true, force: true }));
  chmodSync(directory, 0o777);
  const port = await freePort();
  const auth = credentials === undefined ? [] : [
    `auth_param basic program /usr/lib/squid/basic_ncsa_auth ${join(directory, 'passwd')}`,
    'auth_param basic realm test-proxy',
    'acl authenticated proxy_auth REQUIRED',
    'http_access allow authenticated',
  ];
  if (credentials !== undefined) {
    const hash = execFileSync('openssl', ['passwd', '-apr1', credentials.password], { encoding: 'utf8' }).trim();
    writeFileSync(join(directory, 'passwd'), `${credentials.user}:${hash}\n`, { mode: 0o644 });
  }
  writeFileSync(
    join(directory, 'squid.conf'),
    [
      `http_port 127.0.0.1:${port}`,
      `pid_filename ${join(directory, 'squid.pid')}`,
      `access_log stdio:${join(directory, 'access.log')}`,
      `cache_log ${join(directory, 'cache.log')}`,
      'cache deny all',
      'shutdown_lifetime 0 seconds',
      // Every port: the stores listen on ephemeral ones.
      'acl CONNECT method CONNECT',
      ...auth,
      credentials === undefined ? 'http_access allow all' : 'http_access deny all',
    ].join('\n'),
  );
  const stop = await startListeningDaemon('squid', ['-N', '-f', join(directory, 'squid.conf')], {
    port,
    stopSignal: 'SIGTERM',
    logFile: join(directory, 'cache.log'),
    readyWithinMs: 15_000,
  });
  const userinfo = credentials === undefined ? '' : `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@`;
  return {
    url: `http://${userinfo}127.0.0.1:${port}`,
    accessLog: () => {
      try {
        return readFileSync(join(directory, 'access.log'), 'utf8');
      } catch {
        return '';
      }
    },
    stop,
  };
}
