// A store on TLS signed by a private certificate authority (made here with openssl): Ceph RGW's own
// TLS listener, or s3rver behind a TLS terminator. AWS_CA_BUNDLE or NODE_EXTRA_CA_CERTS make it
// trusted; without either, or with a certificate for another host name, the start fails with one
// line naming the endpoint, the reason and the setting that fixes it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { get } from '../helpers/http.ts';
import { byMessage, spawnService, startService, type LogLine, type ServiceProcess } from '../helpers/service.ts';
import { objectInStore } from '../helpers/serving.ts';
import { programMissing, testUnless } from '../helpers/skips.ts';
import { makeCertificates, tlsEndpoint } from '../helpers/tls-store.ts';

const needsOpenssl = testUnless(programMissing('openssl', 'apt-get install openssl'));
const body = 'bytes from a store behind a private CA';

async function assertServes(service: ServiceProcess): Promise<LogLine> {
  const answer = await get(`${service.url}/`);
  assert.is(answer.status, 200);
  assert.is(answer.text, body);
  await service.kill();
  return service.logs.find(byMessage('starting'))!;
}

/** Exit 1 before serving, with exactly one error line matching `line`, and no stack anywhere. */
async function assertStartFails(service: ServiceProcess, line: RegExp): Promise<void> {
  const exit = await service.waitForExit(30_000);
  assert.is(exit.code, 1, service.stderr());
  const errors = service.logs.filter((entry) => entry.level === 'error' || entry.level === 'fatal');
  assert.is(errors.length, 1, service.stderr());
  assert.match(errors[0]!.msg, line);
  assert.not.match(service.stderr(), /\n\s+at /);
  assert.not.ok(service.logs.some(byMessage('listening')));
}

needsOpenssl('AWS_CA_BUNDLE, then NODE_EXTRA_CA_CERTS: the store is trusted and served; the start line names the bundle', async () => {
  const { store, env } = await objectInStore(body);
  const certificates = makeCertificates(['DNS:localhost', 'IP:127.0.0.1']);
  const endpoint = await tlsEndpoint(store, certificates);
  try {
    const withBundle = await assertServes(await startService({ env: { ...env, S3_ENDPOINT: endpoint.url, AWS_CA_BUNDLE: certificates.ca } }, 30_000));
    assert.is((withBundle.config as Record<string, unknown>).caBundle, certificates.ca);
    const withNode = await assertServes(await startService({ env: { ...env, S3_ENDPOINT: endpoint.url, NODE_EXTRA_CA_CERTS: certificates.ca } }, 30_000));
    assert.is((withNode.config as Record<string, unknown>).nodeExtraCaCerts, certificates.ca);
  } finally {
    await endpoint.stop();
  }
});

needsOpenssl('neither: exit 1 with one line naming the endpoint, the unknown authority and AWS_CA_BUNDLE', async () => {
  const { store, env } = await objectInStore(body);
  const endpoint = await tlsEndpoint(store, makeCertificates(['DNS:localhost', 'IP:127.0.0.1']));
  try {
    const service = await spawnService({ env: { ...env, S3_ENDPOINT: endpoint.url } });
    const escaped = endpoint.url.replaceAll('.', '\\.');
    await assertStartFails(service, new RegExp(`from ${escaped}: [A-Z_]+: .*; the store's certificate is signed by an authority this service does not trust: set AWS_CA_BUNDLE \\(or NODE_EXTRA_CA_CERTS\\)`));
  } finally {
    await endpoint.stop();
  }
});

needsOpenssl('a certificate for another host name: exit 1 with one line saying so, whatever CA is trusted', async () => {
  const { store, env } = await objectInStore(body);
  const certificates = makeCertificates(['DNS:elsewhere.example']);
  const endpoint = await tlsEndpoint(store, certificates);
  try {
    const service = await spawnService({ env: { ...env, S3_ENDPOINT: endpoint.url, AWS_CA_BUNDLE: certificates.ca } });
    await assertStartFails(service, /ERR_TLS_CERT_ALTNAME_INVALID: .*; the store's certificate is not issued for the host in S3_ENDPOINT/);
  } finally {
    await endpoint.stop();
  }
});

test.run();
