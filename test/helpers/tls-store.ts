// The test store behind TLS, with certificates from a private authority that openssl makes here:
// Ceph RGW's own TLS listener (a second gateway on the run's cluster), or, for s3rver, a TLS
// terminator in this process in front of it. The certificate is for localhost and 127.0.0.1, or
// for another host name only.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer } from 'node:tls';
import { onCleanup, temporaryDirectory } from './cleanup.ts';
import { freePort } from './net.ts';
import { runScript } from './scripts.ts';
import type { TestStore } from './store.ts';

export interface Certificates {
  /** The private authority's certificate (PEM file). */
  ca: string;
  certificate: string;
  privateKey: string;
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });

/** A private CA, and a server certificate it signed for `names` (subjectAltName entries such as DNS:localhost, IP:127.0.0.1). */
export function makeCertificates(names: string[]): Certificates {
  const directory = temporaryDirectory('tls');
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ecKey, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=s3-object-cache test CA'], directory);
  openssl(['req', ...ecKey, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=test store'], directory);
  writeFileSync(join(directory, 'san.ext'), `subjectAltName=${names.join(',')}\n`);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext'], directory);
  return { ca: join(directory, 'ca.pem'), certificate: join(directory, 'server.pem'), privateKey: join(directory, 'server.key') };
}

export interface TlsEndpoint {
  /** https://127.0.0.1:PORT */
  url: string;
  /** Also run at cleanup; one endpoint at a time on Ceph (its TLS gateway is one daemon). */
  stop(): Promise<void>;
}

/** An https:// endpoint for `store` presenting `certificates`. */
export async function tlsEndpoint(store: TestStore, certificates: Certificates): Promise<TlsEndpoint> {
  const port = await freePort();
  let stop: () => Promise<void>;
  if (store.kind === 'ceph') {
    const directory = process.env.TEST_CEPH_DIR!;
    await runScript('ceph-rgw.sh', ['tls-gateway-start', directory, String(port), certificates.certificate, certificates.privateKey], 60_000);
    stop = async () => void (await runScript('ceph-rgw.sh', ['tls-gateway-stop', directory]));
  } else {
    const plain = new URL(store.serviceEnv.S3_ENDPOINT!);
    const sockets = new Set<Socket>();
    const server = createServer({ cert: readFileSync(certificates.certificate), key: readFileSync(certificates.privateKey) }, (socket) => {
      const upstream = connect(Number(plain.port), plain.hostname);
      for (const each of [socket, upstream]) {
        sockets.add(each);
        each.on('close', () => sockets.delete(each));
      }
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    stop = () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
  }
  let stopped: Promise<void> | undefined;
  const stopOnce = () => (stopped ??= stop());
  onCleanup(stopOnce);
  return { url: `https://127.0.0.1:${port}`, stop: stopOnce };
}
