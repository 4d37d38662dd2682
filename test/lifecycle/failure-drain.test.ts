// A failed refresh that ends the process (by default, or once STALE_IF_ERROR's bound has run out)
// stops it as SIGTERM does, without DRAIN_DELAY: no new connection accepted (so readiness probes
// fail at once; readiness answers 503 from the same moment, on connections still open), idle
// keep-alive connections closed, every response already started finished with its exact bytes,
// then exit 1 with one error line, within 5 s of the failure. With HTTP_THREADS=2 every thread
// drains; a SIGTERM during the drain does not turn the exit into 0.
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import { requestsByThread, scrapeOnNewConnection } from '../helpers/metrics.ts';
import { isListening } from '../helpers/net.ts';
import { startService, type ServiceProcess } from '../helpers/service.ts';
import { objectInStore } from '../helpers/serving.ts';
import { bodyOf, rawSocket, slowReader, type RawSocket } from '../helpers/raw-http.ts';
import type { TestStore } from '../helpers/store.ts';
import { waitFor, withTimeout } from '../helpers/wait.ts';

const object = randomBytes(8 * 1024 * 1024); // more than loopback buffers hold: a slow reader keeps its response in flight
const token = 'failure-drain-token-0123456789';
const timing = { REFRESH_INTERVAL: '1s', FETCH_TIMEOUT: '1s' };
/** The bound: the exit comes well within 5 s of the failure (the drain is capped at 3 s). */
const exitBoundMs = 5_000;

/**
 * Whether a request on a new connection gets any answer. The listener closes as the failure line
 * is written; a connection that reached its backlog just before is reset unanswered, one after is
 * refused: either way nothing new is served.
 */
const answersNewConnection = (port: number) =>
  withTimeout(
    rawSocket(port, 'GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n').closed.then((received) => received.byteLength > 0),
    5_000,
    'a new connection to be refused or closed',
  );

async function startRawSockets(service: ServiceProcess, count: number): Promise<RawSocket[]> {
  const readers = Array.from({ length: count }, () => slowReader(service.port));
  await waitFor('every slow reader to receive its first bytes', () => readers.every((reader) => reader.received().length > 0));
  return readers;
}

interface Drain {
  readers: RawSocket[];
  /** An idle keep-alive connection: closed by the service at the failure. */
  idleClosed: Promise<void>;
}

async function prepareDrain(service: ServiceProcess, readerCount = 3): Promise<Drain> {
  // One request answered on a keep-alive connection, which then sits idle.
  const idle = rawSocket(service.port, 'GET /-/healthz HTTP/1.1\r\nHost: test\r\n\r\n');
  const idleClosed = idle.closed.then(() => undefined);
  await waitFor('the keep-alive answer', () => idle.received().toString().endsWith('ok\n'));
  return { readers: await startRawSockets(service, readerCount), idleClosed };
}

/** What the failure (which `fail` brings about) must lead to, timed from its error line. */
async function assertDrainedThenExit1(service: ServiceProcess, drain: Drain, failure: RegExp, fail: () => Promise<void>): Promise<void> {
  await fail();
  const errorLine = await service.waitForLog('the failure line', (line) => line.level === 'error', 30_000);
  const failedAt = performance.now();
  assert.match(errorLine.msg, failure);
  assert.not.ok(await answersNewConnection(service.port), 'a request on a new connection was answered after the failure');
  await withTimeout(drain.idleClosed, 1_000, 'the idle keep-alive connection to be closed');
  for (const reader of drain.readers) reader.socket.resume();
  const responses = await Promise.all(drain.readers.map((reader) => withTimeout(reader.closed, 4_000, 'a slow reader to get its response')));
  for (const response of responses) {
    const body = bodyOf(response);
    assert.is(body.byteLength, object.byteLength, 'a response in flight was cut short');
    assert.ok(body.equals(object), 'a response in flight was not the exact bytes');
  }
  const exit = await service.waitForExit(exitBoundMs);
  const exitMs = performance.now() - failedAt;
  assert.is(exit.code, 1, service.stderr());
  assert.ok(exitMs < exitBoundMs, `exit ${Math.round(exitMs)} ms after the failure`);
  assert.is(service.logs.filter((line) => line.level === 'error' || line.level === 'fatal').length, 1, service.stderr());
  assert.not.ok(service.logs.some((line) => line.msg.includes('forcing exit')), 'the drain hit its deadline');
}

/**
 * The store's outage, then its return whatever the test found. The outage counts from the moment
 * the store refuses connections: Ceph RGW stops listening at once but takes ~6 s more to exit,
 * which, awaited here, would eat the drain's 3 s before the test looked at it. The exit is awaited
 * before the store starts again.
 */
function outage(store: TestStore, endpoint: string): { stop: () => Promise<void>; restore: () => Promise<void> } {
  const { hostname, port } = new URL(endpoint);
  let stopping: Promise<void> | undefined;
  return {
    stop: async () => {
      stopping = store.stop();
      await waitFor('the store to refuse connections', async () => !(await isListening(Number(port), hostname)), 10_000);
    },
    restore: async () => {
      if (stopping === undefined) return;
      await stopping;
      await store.start();
    },
  };
}

test('default mode, store stopped: responses in flight finish with exact bytes, nothing new accepted, exit 1 within 5 s', async () => {
  const { store, env } = await objectInStore(object);
  // The refresh that fails is the one a POST /refresh asks for once the store is down: that request
  // is in flight too, and must get its 502.
  const service = await startService({ env: { ...env, ...timing, REFRESH_INTERVAL: '1h', REFRESH_TOKEN: token } });
  const { stop, restore } = outage(store, env.S3_ENDPOINT!);
  try {
    const drain = await prepareDrain(service);
    let refreshAnswer: Promise<{ status: number; body: string }> | undefined;
    await assertDrainedThenExit1(service, drain, /ECONNREFUSED/, async () => {
      await stop();
      refreshAnswer = request(`${service.url}/-/refresh`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }).then(
        async (response) => ({ status: response.statusCode, body: await response.body.text() }),
      );
    });
    const refresh = await refreshAnswer!;
    assert.is(refresh.status, 502, 'the waiting POST /refresh got no failure answer');
    assert.match(JSON.parse(refresh.body).error, /ECONNREFUSED/);
  } finally {
    await restore();
  }
});

test('STALE_IF_ERROR bound run out: the same drain, then exit 1 within 5 s', async () => {
  const { store, env } = await objectInStore(object);
  const service = await startService({ env: { ...env, ...timing, STALE_IF_ERROR: '3s' } });
  const { stop, restore } = outage(store, env.S3_ENDPOINT!);
  try {
    const drain = await prepareDrain(service);
    // Stale first: the failed refreshes are warnings and the POST /refresh is answered 502 then;
    // the error line comes when the bound runs out.
    await assertDrainedThenExit1(service, drain, /ECONNREFUSED|STALE_IF_ERROR/, stop);
    assert.ok(service.logs.some((line) => line.level === 'warn' && /ECONNREFUSED/.test(line.msg)), 'never served stale');
    assert.match(service.logs.find((line) => line.level === 'error')!.msg, /no successful fetch for STALE_IF_ERROR=3000 ms/);
  } finally {
    await restore();
  }
});

test('HTTP_THREADS=2: every thread drains its responses in flight, then exit 1', async () => {
  const { store, env } = await objectInStore(object);
  const service = await startService({ env: { ...env, ...timing, HTTP_THREADS: '2' } });
  const { stop, restore } = outage(store, env.S3_ENDPOINT!);
  try {
    const drain = await prepareDrain(service, 0);
    // SO_REUSEPORT spreads connections over the threads by a hash of their addresses, so now and
    // then six readers all land on one thread (CI saw "7, 0"): readers are added until each thread
    // surely holds one. Each scrape since the first may have been answered by either thread, so
    // all of them come off each thread's count: what is left is a lower bound on its readers.
    const before = requestsByThread(await scrapeOnNewConnection(service.url));
    let scrapes = 1;
    const leastReadersByThread = async () => {
      const counts = requestsByThread(await scrapeOnNewConnection(service.url));
      const answeredScrapes = scrapes++;
      return counts.map((count, thread) => count - before[thread]! - answeredScrapes);
    };
    drain.readers.push(...(await startRawSockets(service, 6)));
    let least = await leastReadersByThread();
    while (least.some((readers) => readers < 1) && drain.readers.length < 40) {
      drain.readers.push(...(await startRawSockets(service, 4)));
      least = await leastReadersByThread();
    }
    assert.ok(
      least.every((readers) => readers >= 1),
      `slow readers did not reach both threads: at least ${least.join(', ')} of ${drain.readers.length}`,
    );
    await assertDrainedThenExit1(service, drain, /ECONNREFUSED/, stop);
  } finally {
    await restore();
  }
});

test('a SIGTERM during the drain: the drain goes on, the exit stays 1', async () => {
  const { store, env } = await objectInStore(object);
  const service = await startService({ env: { ...env, ...timing } });
  const { stop, restore } = outage(store, env.S3_ENDPOINT!);
  try {
    const [reader] = await startRawSockets(service, 1);
    await stop();
    await service.waitForLog('the failure line', (line) => line.level === 'error', 30_000);
    service.signal('SIGTERM');
    await service.waitForLog('the signal joining the drain', (line) => /already stopping after a failure/.test(line.msg));
    reader!.socket.resume();
    const body = bodyOf(await withTimeout(reader!.closed, 4_000, 'the slow reader to get its response'));
    assert.ok(body.equals(object), 'the response in flight was cut');
    const exit = await service.waitForExit(exitBoundMs);
    assert.is(exit.code, 1, service.stderr());
    assert.ok(exit.elapsedMs < exitBoundMs, `exit ${Math.round(exit.elapsedMs)} ms after SIGTERM`);
  } finally {
    await restore();
  }
});

test.run();
