// A real forward proxy (squid) between the service and the store: an http endpoint in absolute
// form, an https one through CONNECT, NO_PROXY keeping the store off it, Basic credentials that
// are used and never shown, and a proxy that is down, wrong or stopped mid-run failing as the store
// would (exit 1, or stale within STALE_IF_ERROR), with one line naming the proxy.
import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { serviceArgs } from '../../scripts/service-command.ts';
import { get } from '../helpers/http.ts';
import { metricValue, scrapeOnNewConnection } from '../helpers/metrics.ts';
import { freePort } from '../helpers/net.ts';
import { byMessage, spawnService, startService, type ServiceProcess } from '../helpers/service.ts';
import { objectInStore } from '../helpers/serving.ts';
import { programMissing, testUnless } from '../helpers/skips.ts';
import { startSquid } from '../helpers/squid.ts';
import { makeCertificates, tlsEndpoint } from '../helpers/tls-store.ts';
import { waitFor } from '../helpers/wait.ts';

const needsSquid = testUnless(programMissing(['squid', 'openssl'], 'apt-get install squid openssl'));
const body = 'bytes through a proxy';
const password = 'proxy-password-canary-7f3a';
const hostOf = (url: string) => new URL(url).host;

function startLine(service: ServiceProcess): Record<string, unknown> {
  return service.logs.find(byMessage('starting'))!.config as Record<string, unknown>;
}

needsSquid('http endpoint: every request goes through the proxy in absolute form; the start line names its host only', async () => {
  const { env, bucket } = await objectInStore(body);
  const squid = await startSquid();
  const service = await startService({ env: { ...env, HTTP_PROXY: squid.url, REFRESH_INTERVAL: '200ms' } });
  assert.is((await get(`${service.url}/`)).text, body);
  await waitFor('a refresh through the proxy', () => squid.accessLog().split('\n').filter((line) => line.includes(`/${bucket}/object.txt`)).length >= 2);
  assert.match(squid.accessLog(), new RegExp(`GET ${env.S3_ENDPOINT!.replace(/\/$/, '')}/${bucket}/object\\.txt`));
  assert.is(startLine(service).storeProxy, `${hostOf(squid.url)} (HTTP_PROXY)`);
  await service.kill();
});

needsSquid('https endpoint: through the proxy with CONNECT, the store\'s private CA trusted', async () => {
  const { store, env } = await objectInStore(body);
  const certificates = makeCertificates(['DNS:localhost', 'IP:127.0.0.1']);
  const endpoint = await tlsEndpoint(store, certificates);
  const squid = await startSquid();
  try {
    const service = await startService({ env: { ...env, S3_ENDPOINT: endpoint.url, AWS_CA_BUNDLE: certificates.ca, HTTPS_PROXY: squid.url } }, 30_000);
    assert.is((await get(`${service.url}/`)).text, body);
    await service.kill(); // squid logs a tunnel once it closes
    await waitFor('the CONNECT in squid\'s log', () => squid.accessLog().includes(`CONNECT ${hostOf(endpoint.url)} `));
  } finally {
    await endpoint.stop();
  }
});

needsSquid('NO_PROXY covering the store (its host, its host and port, or *): squid sees no request', async () => {
  const { env } = await objectInStore(body);
  const squid = await startSquid();
  const endpoint = new URL(env.S3_ENDPOINT!);
  for (const noProxy of [endpoint.hostname, `example.org, ${endpoint.host}`, '*']) {
    const service = await startService({ env: { ...env, HTTP_PROXY: squid.url, no_proxy: noProxy } });
    assert.is((await get(`${service.url}/`)).text, body);
    assert.match(String(startLine(service).storeProxy), /^none \(NO_PROXY lists /, noProxy);
    await service.kill();
  }
  assert.not.match(squid.accessLog(), / (GET|HEAD|CONNECT) /);
});

needsSquid('proxy credentials: used, and never in any output; wrong ones: exit 1 with one line naming the proxy and the fix', async () => {
  const { env } = await objectInStore(body);
  const squid = await startSquid({ user: 'deployer', password });
  const service = await startService({ env: { ...env, HTTP_PROXY: squid.url } });
  assert.is((await get(`${service.url}/`)).text, body);
  assert.match(squid.accessLog(), / deployer /);
  await service.kill();
  const wrong = await spawnService({ env: { ...env, HTTP_PROXY: squid.url.replace(encodeURIComponent(password), 'not-the-password') } });
  assert.is((await wrong.waitForExit()).code, 1);
  const line = wrong.logs.find((entry) => entry.level === 'error')!;
  assert.match(line.msg, new RegExp(`through the proxy ${hostOf(squid.url)}: ProxyAuthenticationRequired \\(HTTP 407\\); the proxy at ${hostOf(squid.url)} wants credentials: put USER:PASSWORD@ before its host in HTTPS_PROXY or HTTP_PROXY$`));
  for (const output of [service.stderr(), wrong.stderr()]) {
    assert.not.ok(output.includes(password) || output.includes('not-the-password') || output.includes('deployer:'), 'a proxy credential in the output');
  }
});

needsSquid('a proxy that is down: exit 1 with one line naming it', async () => {
  const { env } = await objectInStore(body);
  const service = await spawnService({ env: { ...env, HTTP_PROXY: `http://127.0.0.1:${await freePort()}` } });
  assert.is((await service.waitForExit()).code, 1);
  assert.match(service.logs.find((entry) => entry.level === 'error')!.msg, /through the proxy 127\.0\.0\.1:\d+: ProxyUnreachable: .*ECONNREFUSED.*; check that the proxy at 127\.0\.0\.1:\d+ is running/);
});

needsSquid('squid stopped mid-run: exit 1 after the drain by default; with STALE_IF_ERROR the snapshot goes on, stale', async () => {
  const { env } = await objectInStore(body);
  const squid = await startSquid();
  const failing = await startService({ env: { ...env, HTTP_PROXY: squid.url, REFRESH_INTERVAL: '300ms' } });
  const stale = await startService({ env: { ...env, HTTP_PROXY: squid.url, REFRESH_INTERVAL: '300ms', STALE_IF_ERROR: '1m' } });
  await squid.stop();
  const exit = await failing.waitForExit(10_000);
  assert.is(exit.code, 1);
  assert.match(failing.logs.find((entry) => entry.level === 'error')!.msg, /ProxyUnreachable/);
  await stale.waitForLog('a stale warning naming the proxy', (line) => line.level === 'warn' && /ProxyUnreachable/.test(line.msg));
  assert.is((await get(`${stale.url}/`)).text, body);
  assert.is(metricValue(await scrapeOnNewConnection(stale.url), 's3_object_cache_stale'), 1);
  await stale.kill();
});

needsSquid('--healthcheck goes straight to the service, whatever proxy the environment names', async () => {
  const { env } = await objectInStore(body);
  const service = await startService({ env });
  const dead = `http://127.0.0.1:${await freePort()}`;
  const probe = () =>
    execFileSync(process.execPath, serviceArgs(['--healthcheck']), {
      env: { ...process.env, PORT: String(service.port), HOST: '127.0.0.1', HTTP_PROXY: dead, HTTPS_PROXY: dead, NODE_USE_ENV_PROXY: '1' },
      stdio: 'pipe',
    });
  probe(); // throws on a non-zero exit
  await service.kill();
});

test.run();
