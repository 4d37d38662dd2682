// What operators use: liveness, readiness (503 while stopping), metrics after known events,
// SIGHUP refresh, and logs that never contain the secret key.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import { temporaryDirectory } from '../helpers/cleanup.ts';
import { runScript } from '../helpers/scripts.ts';
import { metricValue as sampleOf, scrapeMetric } from '../helpers/metrics.ts';
import { freePort } from '../helpers/net.ts';
import { byMessage, spawnService, startService } from '../helpers/service.ts';
import { objectInStore, serviceWithObject } from '../helpers/serving.ts';
import { startStoreProxy } from '../helpers/store-proxy.ts';
import { waitFor } from '../helpers/wait.ts';
import { get } from '../helpers/http.ts';


function metricValue(metrics: string, name: string): number {
  const value = sampleOf(metrics, name);
  assert.ok(value !== undefined, `metric ${name} missing`);
  return value!;
}

test('liveness and readiness answer 200 while serving; metrics speak Prometheus', async () => {
  const { env } = await objectInStore('twelve bytes');
  const service = await startService({ env: { ...env, REFRESH_INTERVAL: '300ms' } });
  try {
    assert.equal([(await get(`${service.url}/-/healthz`)).status, (await get(`${service.url}/-/readyz`)).status], [200, 200]);
    const unchangedTotal = `${service.url}/-/metrics`;
    await waitFor('a refresh answered 304', async () => ((await scrapeMetric(unchangedTotal, 's3_object_cache_refresh_unchanged_total')) ?? 0) >= 1);
    assert.is((await get(`${service.url}/nowhere`)).status, 404);
    assert.is((await get(`${service.url}/`)).status, 200);
    assert.is((await get(`${service.url}/`, { 'if-none-match': '*' })).status, 304);

    const metrics = await get(`${service.url}/-/metrics`);
    assert.is(metrics.status, 200);
    assert.match(String(metrics.headers['content-type']), /^text\/plain; version=0.0.4/);
    const text = metrics.text;
    const unchanged = metricValue(text, 's3_object_cache_refresh_unchanged_total');
    assert.ok(unchanged >= 1);
    assert.is(metricValue(text, 's3_object_cache_refresh_successes_total'), unchanged + 1); // + the first fetch
    assert.is(metricValue(text, 's3_object_cache_refresh_attempts_total'), unchanged + 1);
    assert.is(metricValue(text, 's3_object_cache_refresh_failures_total'), 0);
    assert.is(metricValue(text, 's3_object_cache_object_size_bytes'), 12);
    assert.ok(Math.abs(metricValue(text, 's3_object_cache_last_success_timestamp_seconds') - Date.now() / 1000) < 5);
    assert.ok(metricValue(text, 's3_object_cache_age_seconds') < 5);
    assert.is(metricValue(text, 's3_object_cache_http_requests_total{code="404"}'), 1);
    assert.is(metricValue(text, 's3_object_cache_http_requests_total{code="304"}'), 1);
    assert.ok(metricValue(text, 's3_object_cache_http_requests_total{code="200"}') >= 3);
    assert.ok(metricValue(text, 'nodejs_eventloop_lag_p99_seconds') >= 0);
    const loopDelay = metricValue(text, 's3_object_cache_event_loop_delay_seconds{quantile="0.99"}');
    assert.ok(loopDelay >= 0 && loopDelay < 1, `event-loop delay p99 ${loopDelay} s`);
    assert.ok(metricValue(text, 'process_resident_memory_bytes') > 10_000_000);
  } finally {
    await service.kill();
  }
});

test('the prefix is configurable, and the endpoints can be turned off', async () => {
  const { env } = await objectInStore('x');
  const custom = await startService({ env: { ...env, OPS_PREFIX: '/_ops' } });
  const off = await startService({ env: { ...env, OPS_ENDPOINTS: 'false' } });
  try {
    assert.is((await get(`${custom.url}/_ops/healthz`)).status, 200);
    assert.is((await get(`${custom.url}/-/healthz`)).status, 404);
    assert.is((await get(`${off.url}/-/healthz`)).status, 404);
    assert.is((await get(`${off.url}/-/metrics`)).status, 404);
    assert.is((await get(`${off.url}/`)).text, 'x');
  } finally {
    await Promise.all([custom.kill(), off.kill()]);
  }
});

test('readiness turns 503 as soon as a stop begins, while DRAIN_DELAY keeps serving', async () => {
  const { env } = await objectInStore('draining');
  const service = await startService({ env: { ...env, DRAIN_DELAY: '1s' } });
  service.signal('SIGTERM');
  await service.waitForLog('"stopping"', byMessage('stopping'));
  const readiness = await get(`${service.url}/-/readyz`);
  assert.is(readiness.status, 503);
  assert.is(readiness.text, 'stopping\n');
  assert.is(readiness.headers.connection, 'close');
  const object = await get(`${service.url}/`);
  assert.is(object.text, 'draining');
  assert.is((await get(`${service.url}/-/healthz`)).status, 200);
  const exit = await service.waitForExit();
  assert.is(exit.code, 0);
  assert.ok(exit.elapsedMs >= 1_000 && exit.elapsedMs < 5_000, `${Math.round(exit.elapsedMs)} ms`);
});

test('readiness after SIGTERM without a drain delay: 503 or refused, never a hang', async () => {
  const { env } = await objectInStore(randomBytes(32 * 1024 * 1024));
  const service = await startService({ env: env });
  const slow = await request(`${service.url}/`); // headers read, body left unread: the stop waits for it
  service.signal('SIGTERM');
  await service.waitForLog('"stopping"', byMessage('stopping'));
  const outcome = await Promise.race([
    request(`${service.url}/-/readyz`).then((response) => response.statusCode, (error: { code?: string }) => error.code),
    new Promise((resolve) => setTimeout(() => resolve('hang'), 2_000)),
  ]);
  // Refused, or reset when the connection reached the kernel's backlog just before the listening
  // socket closed: either way the client learns at once.
  assert.ok([503, 'ECONNREFUSED', 'ECONNRESET'].includes(outcome as number | string), `readiness gave ${String(outcome)}`);
  await slow.body.arrayBuffer();
  assert.is((await service.waitForExit()).code, 0);
});

test('SIGHUP refreshes at once, without waiting for the schedule', async () => {
  const { env } = await objectInStore('before');
  const service = await startService({ env: { ...env, REFRESH_INTERVAL: '1h' } });
  try {
    // The operator's way: scripts/put-object.ts with the service's environment.
    const file = join(temporaryDirectory('put'), 'new.txt');
    writeFileSync(file, 'after');
    const output = await runScript('put-object.ts', [file, '--content-type', 'text/plain'], 30_000, {
      ...env,
    });
    const etag = /ETag ("[^"]+")/.exec(output)?.[1];
    service.signal('SIGHUP');
    const changed = await service.waitForLog('"object changed"', byMessage('object changed'), 5_000);
    assert.is(changed.etag, etag);
    assert.is((await get(`${service.url}/`)).text, 'after');
    assert.ok(service.logs.some(byMessage('SIGHUP: refreshing now')));
  } finally {
    await service.kill();
  }
});

test('SIGHUP during a fetch never starts a second fetch beside it', async () => {
  const { store, env } = await objectInStore('v1');
  const proxy = await startStoreProxy(store.serviceEnv.S3_ENDPOINT!);
  const service = await startService({
    env: { ...env, S3_ENDPOINT: proxy.endpoint, REFRESH_INTERVAL: '1h', FETCH_TIMEOUT: '1s' },
  });
  try {
    const before = proxy.requestsSeen();
    proxy.mode = 'hold';
    service.signal('SIGHUP');
    const first = await proxy.nextHeld();
    service.signal('SIGHUP');
    service.signal('SIGHUP');
    await first.abandoned; // after FETCH_TIMEOUT; only then may the SDK retry
    assert.is(proxy.requestsSeen() - before, 1, 'a second fetch reached the store while the first was in flight');
  } finally {
    await service.kill();
  }
});

test('with OPS_PORT the operations endpoints answer only there; the public port says 404', async () => {
  const { env } = await objectInStore('public bytes');
  const opsPort = await freePort();
  const service = await startService({ env: { ...env, OPS_PORT: String(opsPort) } });
  const ops = `http://127.0.0.1:${opsPort}`;
  try {
    for (const path of ['/-/healthz', '/-/readyz', '/-/metrics']) {
      assert.is((await get(`${service.url}${path}`)).status, 404, `public ${path}`);
      assert.is((await get(`${ops}${path}`)).status, 200, `ops ${path}`);
    }
    assert.is((await get(`${service.url}/`)).text, 'public bytes');
    assert.is((await get(`${ops}/`)).status, 404, 'the object on the ops port');
    const listening = service.logs.find(byMessage('listening'))!;
    assert.is((listening.opsAddress as { port: number }).port, opsPort);
  } finally {
    await service.kill();
  }
});

test('the event-loop delay is a summary no scrape resets', async () => {
  const service = await serviceWithObject('x');
  try {
    const first = (await get(`${service.url}/-/metrics`)).text;
    assert.match(first, /^# TYPE s3_object_cache_event_loop_delay_seconds summary$/m);
    await new Promise((resolve) => setTimeout(resolve, 200)); // more samples, 10 ms apart
    const second = (await get(`${service.url}/-/metrics`)).text;
    const count = (text: string) => metricValue(text, 's3_object_cache_event_loop_delay_seconds_count');
    assert.ok(count(second) > count(first), `count went from ${count(first)} to ${count(second)}: reset by the scrape`);
    assert.ok(metricValue(second, 's3_object_cache_event_loop_delay_seconds_sum') >= 0);
  } finally {
    await service.kill();
  }
});

test('--healthcheck reads the same configuration: exit 0 while serving, 1 once stopped', async () => {
  const opsPort = await freePort();
  const service = await serviceWithObject('x', { OPS_PORT: String(opsPort), OPS_PREFIX: '/_ops' });
  const probe = async () => {
    const env = { PORT: String(service.port), OPS_PORT: String(opsPort), OPS_PREFIX: '/_ops' };
    const healthcheck = await spawnService({ env, args: ['--healthcheck'] });
    return { exit: await healthcheck.waitForExit(), stderr: healthcheck.stderr() };
  };
  const healthy = await probe();
  assert.is(healthy.exit.code, 0, healthy.stderr);
  service.signal('SIGTERM');
  await service.waitForExit();
  const unhealthy = await probe();
  assert.is(unhealthy.exit.code, 1);
  assert.match(unhealthy.stderr, new RegExp(`unhealthy: http://127\\.0\\.0\\.1:${opsPort}/_ops/healthz did not answer`));
});

test('no log line ever contains the secret key', async () => {
  const { store, bucket } = await objectInStore('secret-free');
  // s3rver checks no signature, so any secret works; a real store gets its real one.
  const secret = store.checksSignatures ? store.serviceEnv.AWS_SECRET_ACCESS_KEY! : `SECRET-${randomBytes(12).toString('hex')}`;
  const env = { ...store.serviceEnv, AWS_SECRET_ACCESS_KEY: secret, S3_BUCKET: bucket, REFRESH_INTERVAL: '200ms', LOG_LEVEL: 'trace' };
  const service = await startService({ env });
  await get(`${service.url}/`);
  service.signal('SIGHUP');
  await waitFor('a few refreshes', () => service.logs.filter(byMessage('object unchanged')).length >= 2);
  service.signal('SIGTERM');
  await service.waitForExit();
  const failing = await spawnService({ env: { ...env, S3_KEY: 'missing' } });
  await failing.waitForExit();
  for (const output of [service.stderr(), failing.stderr()]) {
    assert.ok(output.length > 0);
    assert.not.ok(output.includes(secret), 'the secret key was logged');
  }
});

test.run();
