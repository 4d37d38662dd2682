// PEERS: one push to one replica reaches every replica of the fleet within a second, each passing
// nothing on again; a peer that is down is logged and counted, and stops none of the others.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import { get } from '../helpers/http.ts';
import { metricValue, scrapeOnNewConnection } from '../helpers/metrics.ts';
import { freePort } from '../helpers/net.ts';
import { startService, type ServiceProcess } from '../helpers/service.ts';
import { objectInStore } from '../helpers/serving.ts';
import { putObject } from '../helpers/store.ts';
import { waitFor } from '../helpers/wait.ts';

const token = 'fleet-refresh-token-0123456789';

test('one push to one replica: all three serve the new snapshot within 1 s; a dead peer stops none of them', async () => {
  const { store, env, bucket } = await objectInStore('version 1');
  const opsPorts = [await freePort(), await freePort(), await freePort()];
  const deadPeer = `http://127.0.0.1:${await freePort()}`;
  const peers = [...opsPorts.map((port) => `http://127.0.0.1:${port}`), deadPeer].join(',');
  const replicas: ServiceProcess[] = [];
  for (const opsPort of opsPorts) {
    replicas.push(await startService({ env: { ...env, OPS_PORT: String(opsPort), REFRESH_TOKEN: token, PEERS: peers, REFRESH_INTERVAL: '1h' } }));
  }
  await putObject(store, bucket, 'object.txt', 'version 2');
  const pushedAt = performance.now();
  const push = await request(`http://127.0.0.1:${opsPorts[0]}/-/refresh?wait=0`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  assert.is(push.statusCode, 202);
  await push.body.dump();
  await waitFor('every replica serving version 2', async () => (await Promise.all(replicas.map(async (replica) => (await get(`${replica.url}/`)).text))).every((text) => text === 'version 2'), 1_000);
  const elapsedMs = performance.now() - pushedAt;
  assert.ok(elapsedMs < 1_000, `${elapsedMs.toFixed(0)} ms`);
  const first = await scrapeOnNewConnection(`http://127.0.0.1:${opsPorts[0]}`);
  assert.is(metricValue(first, 's3_object_cache_peer_pushes_total{outcome="passed_on"}'), 2);
  assert.is(metricValue(first, 's3_object_cache_peer_pushes_total{outcome="failed"}'), 1);
  assert.ok(replicas[0]!.logs.some((line) => line.code === 'PeerUnreachable' && line.peer === new URL(deadPeer).host));
  for (const replica of replicas.slice(1)) {
    const passedOn = metricValue(await scrapeOnNewConnection(`http://127.0.0.1:${opsPorts[replicas.indexOf(replica)]}`), 's3_object_cache_peer_pushes_total{outcome="passed_on"}');
    assert.ok(passedOn === undefined || passedOn === 0, 'a replica passed on a push it was passed');
  }
  assert.not.ok(replicas.some((replica) => replica.stderr().includes(token)), 'the token in the output');
  await Promise.all(replicas.map((replica) => replica.kill()));
});

test('PEERS as a DNS name: its addresses are the replicas (localhost here)', async () => {
  const { store, env, bucket } = await objectInStore('version 1');
  const opsPort = await freePort();
  const other = await startService({ env: { ...env, OPS_PORT: String(opsPort), REFRESH_TOKEN: token, REFRESH_INTERVAL: '1h' } });
  // The other replica listens on the ops port PEERS names; this one's own ops port differs, so it is not excluded.
  const pushed = await startService({ env: { ...env, REFRESH_TOKEN: token, PEERS: `localhost:${opsPort}`, REFRESH_INTERVAL: '1h' } });
  await putObject(store, bucket, 'object.txt', 'version 2');
  const push = await request(`${pushed.url}/-/refresh?wait=0`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  await push.body.dump();
  await waitFor('the peer serving version 2', async () => (await get(`${other.url}/`)).text === 'version 2', 2_000);
  await Promise.all([other.kill(), pushed.kill()]);
});

test.run();
