// The HTTP layer in-process, in milliseconds: routing, conditional requests and the graceful close
// of connections, on port 0 with a cached object, beside the black-box suite that runs the real
// service. Each test starts its own server and closes it in `finally`.
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Agent, request } from 'undici';
import { toCachedObject } from '../../src/http/cached-object.ts';
import { createHttpServer, type HttpServer } from '../../src/http/http-server.ts';
import { createRequestHandler } from '../../src/http/request-handler.ts';
import { createLogger } from '../../src/main/logger.ts';
import { ServiceMetrics } from '../../src/main/metrics.ts';

const body = new TextEncoder().encode('cached bytes');
const { object } = toCachedObject(
  {
    body: body.buffer,
    sha256: createHash('sha256').update(body).digest('base64'),
    variants: [],
    etag: '"v1"',
    lastModified: 'Fri, 27 Nov 2026 10:00:00 GMT',
    contentType: 'text/plain',
    integrity: 'md5',
  },
  'public, max-age=60',
);

async function listen(options: { servesObject?: boolean; opsPrefix?: string } = {}) {
  const lifecycle = { stopping: false };
  const handler = createRequestHandler({
    cache: options.servesObject === false ? undefined : { current: object },
    lifecycle,
    metrics: new ServiceMetrics(),
    opsPrefix: options.opsPrefix,
    logger: createLogger('silent'),
  });
  const http: HttpServer = createHttpServer(handler, {
    keepAliveTimeoutMs: 65_000,
    headersTimeoutMs: 10_000,
    maxConnections: 100,
    onError: () => undefined,
  });
  await http.listen(0, '127.0.0.1');
  const { port } = http.server.address() as { port: number };
  return { http, lifecycle, url: `http://127.0.0.1:${port}`, port };
}

const get = async (url: string, init: Parameters<typeof request>[1] = {}) => {
  const response = await request(url, init);
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
};

test('GET / sends the cached bytes and precomputed headers; HEAD the same headers, no body', async () => {
  const { http, url } = await listen();
  try {
    const full = await get(`${url}/?ignored=query`);
    assert.equal([full.status, full.text, full.headers.etag, full.headers['content-length']], [200, 'cached bytes', '"v1"', '12']);
    const head = await get(`${url}/`, { method: 'HEAD' });
    assert.equal([head.status, head.text, head.headers['content-length']], [200, '', '12']);
  } finally {
    await http.close();
  }
});

test('If-None-Match: a match (weak, in a list, or *) is 304 with the validators; another tag is 200', async () => {
  const { http, url } = await listen();
  try {
    for (const tag of ['"v1"', 'W/"v1"', '"other", "v1"', '*']) {
      const answer = await get(`${url}/`, { headers: { 'if-none-match': tag } });
      assert.equal([answer.status, answer.text, answer.headers.etag], [304, '', '"v1"'], tag);
    }
    assert.is((await get(`${url}/`, { headers: { 'if-none-match': '"v0"' } })).status, 200);
  } finally {
    await http.close();
  }
});

test('routing: 405 with Allow for other methods, 404 elsewhere, ops endpoints only under their prefix', async () => {
  const { http, url } = await listen({ opsPrefix: '/-' });
  try {
    const post = await get(`${url}/`, { method: 'POST' });
    assert.equal([post.status, post.headers.allow], [405, 'GET, HEAD']);
    assert.is((await get(`${url}/elsewhere`)).status, 404);
    assert.is((await get(`${url}/-/healthz`)).text, 'ok\n');
    assert.is((await get(`${url}/-/nothing`)).status, 404);
    assert.is((await get(`${url}/-healthz`)).status, 404);
  } finally {
    await http.close();
  }
});

test('a listener without the object (the ops port) answers 404 at /; one without ops, 404 under the prefix', async () => {
  const opsOnly = await listen({ servesObject: false, opsPrefix: '/-' });
  const objectOnly = await listen();
  try {
    assert.is((await get(`${opsOnly.url}/`)).status, 404);
    assert.is((await get(`${opsOnly.url}/-/readyz`)).status, 200);
    assert.is((await get(`${objectOnly.url}/-/readyz`)).status, 404);
  } finally {
    await Promise.all([opsOnly.http.close(), objectOnly.http.close()]);
  }
});

test('readiness is 503 once stopping, and answers then carry Connection: close', async () => {
  const { http, url, lifecycle } = await listen({ opsPrefix: '/-' });
  try {
    lifecycle.stopping = true;
    const ready = await get(`${url}/-/readyz`);
    assert.equal([ready.status, ready.headers.connection], [503, 'close']);
  } finally {
    await http.close();
  }
});

test('close() ends at once with only an idle keep-alive connection open', async () => {
  const { http, url } = await listen();
  const agent = new Agent({ keepAliveTimeout: 60_000 });
  try {
    await get(`${url}/`, { dispatcher: agent }); // leaves an idle keep-alive connection
    const startedAt = performance.now();
    await http.close();
    assert.ok(performance.now() - startedAt < 500, 'close waited on an idle connection');
  } finally {
    await agent.close();
  }
});

test('close() also closes a connection that has sent no request: it cannot hold the stop', async () => {
  const { http, port } = await listen();
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  socket.on('error', () => undefined);
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  try {
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    await new Promise((resolve) => setImmediate(resolve)); // the server has accepted it
    const startedAt = performance.now();
    await Promise.all([http.close(), ended]);
    assert.ok(performance.now() - startedAt < 500, 'close waited on a silent connection');
    assert.is(received, '');
  } finally {
    socket.destroy();
  }
});

test.run();
