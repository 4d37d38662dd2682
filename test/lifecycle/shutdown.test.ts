// SIGTERM and SIGINT at any moment stop the process within 5 s with exit code 0: responses in
// flight are completed, idle and half-sent connections closed, a fetch in flight cancelled.
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Agent, request } from 'undici';
import { byMessage, spawnService, startService, type Exit, type ServiceProcess } from '../helpers/service.ts';
import { objectInStore, serviceWithObject } from '../helpers/serving.ts';
import { testStore } from '../helpers/store.ts';
import { bodyOf, rawSocket, slowReader } from '../helpers/raw-http.ts';
import { startStoreProxy } from '../helpers/store-proxy.ts';
import { processExists } from '../helpers/processes.ts';
import { waitFor } from '../helpers/wait.ts';

const hardRequirementMs = 5_000;

/** Exit 0 within the hard requirement, by the graceful path (not the deadline), nothing left. */
async function assertStoppedGracefully(service: ServiceProcess, exit: Exit): Promise<void> {
  assert.is(exit.code, 0, `exit code; stderr:\n${service.stderr()}`);
  assert.ok(exit.elapsedMs < hardRequirementMs, `took ${Math.round(exit.elapsedMs)} ms`);
  assert.ok(service.logs.some(byMessage('stopped')), `no "stopped" line; stderr:\n${service.stderr()}`);
  assert.not.ok(service.logs.some((line) => line.msg.includes('forcing exit')), 'the deadline had to force it');
  assert.not.ok(processExists(service.child.pid!), 'the process is still there');
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} while idle: exit 0`, async () => {
    const service = await serviceWithObject('idle');
    service.signal(signal);
    await assertStoppedGracefully(service, await service.waitForExit());
  });
}

test('SIGTERM during start-up with the first fetch hanging: exit 0, fetch cancelled, never listened', async () => {
  const store = await testStore();
  const proxy = await startStoreProxy(store.serviceEnv.S3_ENDPOINT!);
  proxy.mode = 'hold';
  const service = await spawnService({ env: { ...store.serviceEnv, S3_ENDPOINT: proxy.endpoint, FETCH_TIMEOUT: '60s' } });
  const fetch = await proxy.nextHeld();
  service.signal('SIGTERM');
  await assertStoppedGracefully(service, await service.waitForExit());
  await fetch.abandoned; // the store saw the request given up
  assert.not.ok(service.logs.some(byMessage('listening')));
});

test('SIGTERM during a refresh: exit 0 and the fetch in flight is cancelled', async () => {
  const { store, env } = await objectInStore('refreshing');
  const proxy = await startStoreProxy(store.serviceEnv.S3_ENDPOINT!);
  const service = await startService({
    env: { ...env, S3_ENDPOINT: proxy.endpoint, REFRESH_INTERVAL: '500ms', FETCH_TIMEOUT: '60s' },
  });
  proxy.mode = 'hold';
  const refresh = await proxy.nextHeld();
  service.signal('SIGTERM');
  await assertStoppedGracefully(service, await service.waitForExit());
  await refresh.abandoned;
});

test('SIGTERM with idle keep-alive connections open: they are closed, exit 0 at once', async () => {
  const service = await serviceWithObject('keep-alive');
  const agent = new Agent({ connections: 8, keepAliveTimeout: 60_000 });
  try {
    await Promise.all(Array.from({ length: 8 }, () => request(`${service.url}/`, { dispatcher: agent }).then((r) => r.body.text())));
    service.signal('SIGTERM');
    await assertStoppedGracefully(service, await service.waitForExit());
  } finally {
    await agent.destroy();
  }
});

test('SIGTERM with a client holding a half-sent request: exit 0 without waiting for it', async () => {
  const service = await serviceWithObject('slowloris');
  const { socket } = rawSocket(service.port, 'GET / HTTP/1.1\r\nHost: test\r\n'); // the blank line never comes
  try {
    await waitFor('the half-sent request to reach the service', () => socket.bytesWritten > 0 && !socket.pending);
    service.signal('SIGTERM');
    await assertStoppedGracefully(service, await service.waitForExit());
  } finally {
    socket.destroy();
  }
});

test('SIGTERM while a slow reader downloads 32 MiB: the download completes, then exit 0', async () => {
  const object = randomBytes(32 * 1024 * 1024); // more than loopback socket buffers hold
  const service = await serviceWithObject(object);
  const download = slowReader(service.port);
  try {
    await waitFor('the first bytes of the response', () => download.received().length > 0);
    service.signal('SIGTERM');
    await service.waitForLog('"stopping"', byMessage('stopping'));
    await new Promise((resolve) => setTimeout(resolve, 300)); // a slow reader, not a wait for an event
    download.socket.resume();
    const body = bodyOf(await download.closed);
    assert.is(body.byteLength, object.byteLength, 'the download was cut short');
    assert.ok(body.equals(object));
    await assertStoppedGracefully(service, await service.waitForExit());
  } finally {
    download.socket.destroy();
  }
});

test('SIGTERM under load: exit 0, and no response is cut short', async () => {
  const object = randomBytes(64 * 1024);
  const service = await serviceWithObject(object);
  const agent = new Agent({ connections: 16 });
  let completed = 0;
  let signalled = false;
  const connectionErrors = new Set<string>();
  try {
    const clients = Array.from({ length: 16 }, async () => {
      for (;;) {
        let response;
        try {
          response = await request(`${service.url}/`, { dispatcher: agent });
        } catch (error) {
          // After SIGTERM, new connections are refused and reused ones closed: expected.
          if (!signalled) throw error;
          connectionErrors.add((error as { code?: string }).code ?? String(error));
          return;
        }
        const body = Buffer.from(await response.body.arrayBuffer());
        assert.is(response.statusCode, 200);
        assert.ok(body.equals(object), `a response was cut short: ${body.byteLength} bytes`);
        completed++;
      }
    });
    await waitFor('some load', () => completed >= 200);
    signalled = true;
    service.signal('SIGTERM');
    await Promise.all(clients);
    await assertStoppedGracefully(service, await service.waitForExit());
    for (const code of connectionErrors) {
      assert.ok(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE'].includes(code), `unexpected error ${code}`);
    }
  } finally {
    await agent.destroy();
  }
});

test('a second signal exits at once, even with a response still in flight', async () => {
  const service = await serviceWithObject(randomBytes(32 * 1024 * 1024));
  const download = slowReader(service.port);
  try {
    await waitFor('the first bytes of the response', () => download.received().length > 0);
    // the reader never resumes: the graceful stop cannot finish
    service.signal('SIGTERM');
    await service.waitForLog('"stopping"', byMessage('stopping'));
    service.signal('SIGTERM');
    const exit = await service.waitForExit();
    assert.is(exit.code, 0);
    assert.ok(exit.elapsedMs < 1_000, `second signal took ${Math.round(exit.elapsedMs)} ms`);
    assert.ok(service.logs.some(byMessage('second signal: exiting at once')));
  } finally {
    download.socket.destroy();
  }
});

test('the SHUTDOWN_TIMEOUT deadline forces the exit when a client never reads', async () => {
  const service = await serviceWithObject(randomBytes(32 * 1024 * 1024), { SHUTDOWN_TIMEOUT: '1s' });
  const download = slowReader(service.port);
  try {
    await waitFor('the first bytes of the response', () => download.received().length > 0);
    service.signal('SIGTERM');
    const exit = await service.waitForExit();
    assert.is(exit.code, 0);
    assert.ok(exit.elapsedMs >= 900 && exit.elapsedMs < 2_000, `deadline of 1 s took ${Math.round(exit.elapsedMs)} ms`);
    assert.ok(service.logs.some((line) => line.msg.includes('forcing exit')));
  } finally {
    download.socket.destroy();
  }
});

test.run();
