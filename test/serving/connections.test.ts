// Connections the operator does not control: a slowloris client, idle keep-alive connections, and
// a flood of connections past the open-file limit.
import type { Socket } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import { byMessage } from '../helpers/service.ts';
import { serviceWithObject } from '../helpers/serving.ts';
import { programMissing, testUnless } from '../helpers/skips.ts';
import { waitFor, withTimeout } from '../helpers/wait.ts';
import { rawSocket } from '../helpers/raw-http.ts';

async function openSocket(port: number): Promise<Socket> {
  const { socket, connected } = rawSocket(port);
  await connected;
  return socket;
}

const closed = (socket: Socket) => new Promise<void>((resolve) => socket.once('close', () => resolve()));

test('a client trickling its headers is cut off at HEADERS_TIMEOUT (checked every second), not 30 s later', async () => {
  const service = await serviceWithObject('x', { HEADERS_TIMEOUT: '1s' });
  const socket = await openSocket(service.port);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  socket.on('error', () => undefined);
  socket.write('GET / HTTP/1.1\r\nHost: test\r\n');
  const trickle = setInterval(() => socket.writable && socket.write('X-Slow: y\r\n'), 200);
  const startedAt = performance.now();
  try {
    await withTimeout(closed(socket), 5_000, 'the service to close the slowloris connection');
    const elapsedMs = performance.now() - startedAt;
    assert.ok(elapsedMs >= 900 && elapsedMs < 2_600, `closed after ${Math.round(elapsedMs)} ms; bound 1 s + 1 s sweep`);
    assert.match(received, /^HTTP\/1\.1 408 /);
  } finally {
    clearInterval(trickle);
    socket.destroy();
    await service.kill();
  }
});

test('an idle keep-alive connection is closed after KEEPALIVE_TIMEOUT', async () => {
  const service = await serviceWithObject('kept alive', { KEEPALIVE_TIMEOUT: '1s' });
  const socket = await openSocket(service.port);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  socket.write('GET / HTTP/1.1\r\nHost: test\r\n\r\n');
  try {
    await waitFor('the response', () => received.endsWith('kept alive'));
    const answeredAt = performance.now();
    assert.match(received, /Keep-Alive: timeout=1/);
    await withTimeout(closed(socket), 5_000, 'the service to close the idle connection');
    const idleMs = performance.now() - answeredAt;
    assert.ok(idleMs >= 800 && idleMs < 3_000, `closed after ${Math.round(idleMs)} ms idle; KEEPALIVE_TIMEOUT=1s`);
  } finally {
    socket.destroy();
    await service.kill();
  }
});

testUnless(programMissing('prlimit', 'apt-get install util-linux'))('past MAX_CONNECTIONS (from ulimit -n 128) new connections are closed; refreshes go on; it serves again after', async () => {
  const service = await serviceWithObject('still here', { REFRESH_INTERVAL: '200ms', LOG_LEVEL: 'debug' }, {
    wrapper: ['prlimit', '--nofile=128:128', '--'],
  });
  const starting = service.logs.find(byMessage('starting'))!;
  assert.is((starting.config as { maxConnections: number }).maxConnections, 128 - 64);
  const flood: Socket[] = [];
  const closedByService: Socket[] = [];
  try {
    for (let index = 0; index < 300; index++) {
      const socket = await openSocket(service.port).catch(() => undefined);
      if (socket === undefined) continue;
      socket.on('error', () => undefined);
      socket.once('close', () => closedByService.push(socket));
      flood.push(socket);
    }
    await waitFor('the service to close the connections past its limit', () => closedByService.length >= 300 - 64 - 5);
    const refreshesBefore = service.logs.filter(byMessage('object unchanged')).length;
    await waitFor('refreshes during the flood', () => service.logs.filter(byMessage('object unchanged')).length >= refreshesBefore + 3, 5_000);
    assert.is(service.child.exitCode, null, 'the service died under the flood');
  } finally {
    for (const socket of flood) socket.destroy();
  }
  await waitFor('the object to be served again', async () => (await (await request(`${service.url}/`)).body.text()) === 'still here');
  assert.not.ok(service.logs.some((line) => line.level === 'error' || line.level === 'fatal'), service.stderr());
  await service.kill();
});

test.run();
