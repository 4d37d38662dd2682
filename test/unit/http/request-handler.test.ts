// The HTTP layer in-process, in milliseconds: routing, conditional requests and the graceful close
// of connections, on port 0 with a cached object, beside the black-box suite that runs the real
// service. Each test starts its own server and closes it in `finally`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Agent, request } from 'undici';
import { createHttpServer, type HttpServer } from '../../../src/http/http-server.ts';
import { createRequestHandler, type RequestHandlerOptions } from '../../../src/http/request-handler.ts';
import { RefreshRequests } from '../../../src/main/refresh-requests.ts';
import { ServiceMetrics } from '../../../src/main/metrics.ts';
import { nextSnapshot } from '../../../src/http/snapshot.ts';
import { objectPath } from '../../../src/protocol.ts';
import { fetchedObject } from '../../helpers/fetched-object.ts';
import { rawSocket } from '../../helpers/raw-http.ts';
import { waitFor } from '../../helpers/wait.ts';

const { snapshot } = nextSnapshot(
  undefined,
  { generation: 1, id: 'snapshot-1', changes: [{ path: objectPath, object: fetchedObject('cached bytes', { etag: '"v1"' }) }], removed: [] },
  'public, max-age=60',
);

type Refresh = NonNullable<RequestHandlerOptions['ops']>['refresh'];

async function listen(options: { servesObject?: boolean; opsPrefix?: string; refresh?: Refresh } = {}) {
  const lifecycle = { stopping: false };
  const metrics = new ServiceMetrics();
  const handler = createRequestHandler({
    snapshot: options.servesObject === false ? undefined : { holder: { current: snapshot, retained: () => undefined }, paths: { mode: 'object' }, skew: undefined },
    lifecycle,
    count: (status) => metrics.countRequest(status),
    ops:
      options.opsPrefix === undefined
        ? undefined
        : {
            prefix: options.opsPrefix,
            scrape: async () => ({ contentType: metrics.registry.contentType, text: await metrics.registry.metrics() }),
            refresh: options.refresh,
          },
    accessLog: undefined,
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

test('416 carries Content-Length, so an HTTP/1.0 keep-alive connection stays open for the next request', async () => {
  const { http, port } = await listen();
  const { socket, received: receivedBytes } = rawSocket(port);
  const received = () => receivedBytes().toString();
  const ask = (head: string) => socket.write(`GET / HTTP/1.0\r\nConnection: keep-alive\r\n${head}\r\n`);
  try {
    ask('Range: bytes=100-\r\n');
    await waitFor('the 416', () => received().includes('Range Not Satisfiable\n'));
    assert.match(received(), /^HTTP\/1\.1 416 /);
    assert.match(received(), /\r\nContent-Length: 22\r\n/i);
    assert.match(received(), /\r\nConnection: keep-alive\r\n/i);
    ask('');
    await waitFor('the 200 on the same connection', () => received().endsWith('cached bytes'));
  } finally {
    socket.destroy();
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
  const { socket, received, closed: ended, connected } = rawSocket(port);
  try {
    await connected;
    await new Promise((resolve) => setImmediate(resolve)); // the server has accepted it
    const startedAt = performance.now();
    await Promise.all([http.close(), ended]);
    assert.ok(performance.now() - startedAt < 500, 'close waited on a silent connection');
    assert.is(received().byteLength, 0);
  } finally {
    socket.destroy();
  }
});

const token = 'a-refresh-token-0123456789';

/** A refresh endpoint whose fetches the test answers itself. */
function refreshable() {
  const requests = new RefreshRequests();
  let made = 0;
  return {
    refresh: { token, request: () => (made++, requests.add()) },
    requests,
    made: () => made,
  };
}

test('POST /refresh: 404 without REFRESH_TOKEN; 405 for other methods; 401 with WWW-Authenticate for a wrong or no token', async () => {
  const without = await listen({ opsPrefix: '/-' });
  const { refresh, made } = refreshable();
  const withToken = await listen({ opsPrefix: '/-', refresh });
  try {
    assert.is((await get(`${without.url}/-/refresh`, { method: 'POST' })).status, 404);
    const get405 = await get(`${withToken.url}/-/refresh`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal([get405.status, get405.headers.allow], [405, 'POST']);
    for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: `Basic ${token}` }]) {
      const answer = await get(`${withToken.url}/-/refresh`, { method: 'POST', headers });
      assert.equal([answer.status, answer.headers['www-authenticate']], [401, 'Bearer'], JSON.stringify(headers));
    }
    assert.is((await get(`${withToken.url}/-/refresh?token=nope`, { method: 'POST' })).status, 401);
    assert.is(made(), 0, 'no fetch for a caller without the token');
  } finally {
    await Promise.all([without.http.close(), withToken.http.close()]);
  }
});

test('POST /refresh waits for the outcome (200 or 502, JSON); ?wait=0 answers 202 at once; the token may be in the query', async () => {
  const { refresh, requests, made } = refreshable();
  const { http, url } = await listen({ opsPrefix: '/-', refresh });
  try {
    const changed = get(`${url}/-/refresh`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    requests.answer(1, { outcome: 'changed', etag: '"v2"', size: 7 });
    const answer = await changed;
    assert.equal([answer.status, JSON.parse(answer.text)], [200, { outcome: 'changed', etag: '"v2"', size: 7 }]);
    const failing = get(`${url}/-/refresh?token=${token}`, { method: 'POST', body: '{"Records":[]}' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    requests.answer(1, { outcome: 'failed', error: 'cannot fetch ...' });
    const failed = await failing;
    assert.equal([failed.status, JSON.parse(failed.text).outcome], [502, 'failed']);
    const accepted = await get(`${url}/-/refresh?wait=0&token=${token}`, { method: 'POST' });
    assert.equal([accepted.status, JSON.parse(accepted.text)], [202, { outcome: 'accepted' }]);
    assert.is(made(), 3);
  } finally {
    await http.close();
  }
});

test.run();
