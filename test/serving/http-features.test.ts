// What real clients send, against the real service and a real store: the absolute form, ranges
// (video seeking, resumed downloads), If-Modified-Since, and precomputed compression with one
// ETag and one Repr-Digest per representation. Every byte received is checked.
import { createHash } from 'node:crypto';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { byMessage, startService, type ServiceProcess } from '../helpers/service.ts';
import { objectInStore } from '../helpers/serving.ts';
import { waitFor } from '../helpers/wait.ts';
import { get } from '../helpers/http.ts';
import { rawRequest } from '../helpers/raw-http.ts';
import { untornStore } from '../helpers/version-swaps.ts';

const text = Buffer.from(Array.from({ length: 3000 }, (_, line) => `line ${line}: compressible text, again and again\n`).join(''));
const sha256 = (bytes: Buffer) => `sha-256=:${createHash('sha256').update(bytes).digest('base64')}:`;


let shared: { service: ServiceProcess; etag: string } | undefined;
/** One service for the read-only tests of this file: a text object with br and gzip variants. */
async function textService() {
  if (shared === undefined) {
    const { env, etag } = await objectInStore(text, 'text/plain; charset=utf-8');
    shared = { service: await startService({ env }), etag };
  }
  return shared;
}

test('the absolute form of the request target is served like /', async () => {
  const { service } = await textService();
  const answer = await rawRequest(service.port, `http://127.0.0.1:${service.port}/`);
  assert.is(answer.status, 200);
  assert.ok(answer.body.equals(text), 'the body is not the object');
});

test('the start log says which integrity check is in force and which encodings were prepared', async () => {
  const { service } = await textService();
  const fetched = service.logs.find(byMessage('object fetched'))!;
  assert.is(fetched.integrity, 'md5');
  const encodings = fetched.encodings as Record<string, number>;
  assert.ok(encodings.br! > 0 && encodings.br! < text.byteLength * 0.9, JSON.stringify(encodings));
  assert.ok(encodings.gzip! > 0 && encodings.gzip! < text.byteLength * 0.9, JSON.stringify(encodings));
});

test('ranges a-b, a- and -n: 206 with exactly those bytes; Accept-Ranges and Repr-Digest', async () => {
  const { service } = await textService();
  const length = text.byteLength;
  for (const [header, first, last] of [
    ['bytes=0-9', 0, 9],
    ['bytes=100-', 100, length - 1],
    ['bytes=-50', length - 50, length - 1],
    ['bytes=10-999999999', 10, length - 1],
  ] as const) {
    const answer = await get(`${service.url}/`, { range: header });
    assert.is(answer.status, 206, header);
    assert.ok(answer.body.equals(text.subarray(first, last + 1)), `${header}: wrong bytes`);
    assert.is(answer.headers['content-range'], `bytes ${first}-${last}/${length}`);
    assert.is(answer.headers['content-length'], String(last - first + 1));
    assert.is(answer.headers['repr-digest'], sha256(text), 'Repr-Digest is of the whole representation');
  }
  const head = await get(`${service.url}/`, { range: 'bytes=0-9' }, 'HEAD');
  assert.equal([head.status, head.headers['accept-ranges'], head.headers['content-length']], [200, 'bytes', String(length)]);
  assert.is(head.headers['repr-digest'], sha256(text));
});

test('several ranges: multipart/byteranges with each part exact; overlapping ones get the whole 200', async () => {
  const { service } = await textService();
  const answer = await get(`${service.url}/`, { range: 'bytes=500-509, 0-4, -3' });
  assert.is(answer.status, 206);
  const boundary = /^multipart\/byteranges; boundary=(.+)$/.exec(String(answer.headers['content-type']))?.[1];
  assert.ok(boundary, String(answer.headers['content-type']));
  assert.is(Number(answer.headers['content-length']), answer.body.byteLength);
  const parts = answer.body.toString('latin1').split(`--${boundary}`).slice(1, -1);
  const expected = [[500, 509], [0, 4], [text.byteLength - 3, text.byteLength - 1]] as const;
  assert.is(parts.length, 3);
  parts.forEach((part, index) => {
    const [head, bytes] = [part.slice(0, part.indexOf('\r\n\r\n')), part.slice(part.indexOf('\r\n\r\n') + 4, -2)];
    const [first, last] = expected[index]!;
    assert.match(head, new RegExp(`Content-Range: bytes ${first}-${last}/${text.byteLength}`));
    assert.match(head, /Content-Type: text\/plain; charset=utf-8/);
    assert.ok(Buffer.from(bytes, 'latin1').equals(text.subarray(first, last + 1)), `part ${index}`);
  });
  const overlapping = await get(`${service.url}/`, { range: 'bytes=0-99, 50-149' });
  assert.equal([overlapping.status, overlapping.body.byteLength], [200, text.byteLength]);
});

test('unsatisfiable: 416 with Content-Range bytes */LEN; malformed: ignored, 200', async () => {
  const { service } = await textService();
  const unsatisfiable = await get(`${service.url}/`, { range: `bytes=${text.byteLength}-` });
  assert.equal([unsatisfiable.status, unsatisfiable.headers['content-range']], [416, `bytes */${text.byteLength}`]);
  for (const malformed of ['bytes=x-y', 'bytes=9-2', 'lines=1-2']) {
    const answer = await get(`${service.url}/`, { range: malformed });
    assert.equal([answer.status, answer.body.byteLength], [200, text.byteLength], malformed);
  }
});

test('If-Range: the current ETag or Last-Modified gets the range; anything else the whole 200', async () => {
  const { service, etag } = await textService();
  const plain = await get(`${service.url}/`);
  const lastModified = String(plain.headers['last-modified']);
  for (const [ifRange, status] of [[etag, 206], ['"stale"', 200], [lastModified, 206], ['Thu, 01 Jan 2015 00:00:00 GMT', 200]] as const) {
    const answer = await get(`${service.url}/`, { range: 'bytes=0-9', 'if-range': ifRange });
    assert.is(answer.status, status, ifRange);
    assert.ok(answer.body.equals(status === 206 ? text.subarray(0, 10) : text), ifRange);
  }
});

test('If-Range with a date two versions share (written within one second): the whole new version, never a splice', async () => {
  const { store, bucket, env } = await objectInStore('version 0');
  // Every 100 ms a GET while versions are written: on s3rver one request at a time, or a GET torn by a PUT fails the integrity check.
  const { endpoint, writer } = await untornStore(store, env.S3_ENDPOINT!);
  const put = async (body: Buffer) => `"${(await writer.putObject(bucket, 'object.txt', body, body.byteLength)).etag}"`;
  const service = await startService({ env: { ...env, S3_ENDPOINT: endpoint, REFRESH_INTERVAL: '100ms' } });
  const served = async (etag: string) => {
    const answer = await waitFor(`version ${etag} served`, async () => {
      const candidate = await get(`${service.url}/`);
      return candidate.headers.etag === etag && candidate;
    });
    return String(answer.headers['last-modified']);
  };
  try {
    // The store dates versions to the second: write A at the start of a second and B right after
    // it is served, until the two share a date (the store's clock decides; a few tries at most).
    for (let attempt = 1; ; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 1_000 - (Date.now() % 1_000)));
      const versionA = Buffer.from(`version A${attempt}: `.padEnd(64, 'a'));
      const versionB = Buffer.from(`version B${attempt}: `.padEnd(64, 'b'));
      const dateA = await served(await put(versionA));
      const firstHalf = await get(`${service.url}/`, { range: 'bytes=0-31', 'if-range': dateA });
      assert.equal([firstHalf.status, firstHalf.body], [206, versionA.subarray(0, 32)], 'a date seen on one version only is strong');
      const etagB = await put(versionB);
      const dateB = await served(etagB);
      if (dateA !== dateB) {
        assert.ok(attempt < 5, `five tries and the versions never shared a second (${dateA}, ${dateB})`);
        continue;
      }
      // curl -C - with a date: the client holds A's first half and asks for the rest "if unchanged".
      const rest = await get(`${service.url}/`, { range: 'bytes=32-', 'if-range': dateA });
      assert.is(rest.status, 200, 'a date two versions share matched If-Range');
      assert.ok(rest.body.equals(versionB), 'not the whole new version');
      assert.is(rest.headers.etag, etagB);
      const byEtag = await get(`${service.url}/`, { range: 'bytes=32-', 'if-range': etagB });
      assert.equal([byEtag.status, byEtag.body], [206, versionB.subarray(32)], 'If-Range by ETag stays as it is');
      break;
    }
  } finally {
    await service.kill();
  }
});

test('If-Modified-Since: 304 when not newer, with the validators; ignored beside If-None-Match or when invalid', async () => {
  const { service, etag } = await textService();
  const plain = await get(`${service.url}/`);
  const lastModified = String(plain.headers['last-modified']);
  const notModified = await get(`${service.url}/`, { 'if-modified-since': lastModified });
  assert.is(notModified.status, 304);
  assert.equal(
    [notModified.headers.etag, notModified.headers['last-modified'], notModified.headers['cache-control']],
    [etag, lastModified, plain.headers['cache-control']],
  );
  const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString();
  assert.is((await get(`${service.url}/`, { 'if-modified-since': earlier })).status, 200);
  assert.is((await get(`${service.url}/`, { 'if-modified-since': 'yesterday' })).status, 200);
  const precedence = await get(`${service.url}/`, { 'if-modified-since': lastModified, 'if-none-match': '"other"' });
  assert.is(precedence.status, 200, 'If-None-Match takes precedence over If-Modified-Since');
});

test('compression: br and gzip decompress to the exact bytes, each with its own ETag and Repr-Digest; Vary everywhere', async () => {
  const { service, etag } = await textService();
  const decoders = { br: brotliDecompressSync, gzip: gunzipSync } as const;
  for (const [acceptEncoding, encoding] of [['br', 'br'], ['gzip, deflate, br', 'br'], ['gzip', 'gzip'], ['br;q=0.5, gzip', 'gzip']] as const) {
    const answer = await get(`${service.url}/`, { 'accept-encoding': acceptEncoding });
    assert.is(answer.headers['content-encoding'], encoding, acceptEncoding);
    assert.is(answer.headers.vary, 'Accept-Encoding');
    assert.is(answer.headers.etag, `${etag.slice(0, -1)}-${encoding}"`);
    assert.is(answer.headers['repr-digest'], sha256(answer.body));
    assert.ok(decoders[encoding](answer.body).equals(text), `${encoding} does not decompress to the object`);
    assert.ok(answer.body.byteLength <= text.byteLength * 0.9);
  }
  for (const acceptEncoding of [undefined, 'identity', 'br;q=0, gzip;q=0', 'deflate']) {
    const answer = await get(`${service.url}/`, acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding });
    assert.equal([answer.headers['content-encoding'], answer.headers.vary, answer.headers.etag], [undefined, 'Accept-Encoding', etag]);
    assert.ok(answer.body.equals(text));
  }
  const head = await get(`${service.url}/`, { 'accept-encoding': 'br' }, 'HEAD');
  assert.equal([head.headers['content-encoding'], head.headers.vary], ['br', 'Accept-Encoding']);
});

test('validators and ranges apply to the selected representation', async () => {
  const { service, etag } = await textService();
  const brotli = await get(`${service.url}/`, { 'accept-encoding': 'br' });
  const brotliEtag = String(brotli.headers.etag);
  const notModified = await get(`${service.url}/`, { 'accept-encoding': 'br', 'if-none-match': brotliEtag });
  assert.equal([notModified.status, notModified.headers.etag, notModified.headers.vary], [304, brotliEtag, 'Accept-Encoding']);
  assert.is((await get(`${service.url}/`, { 'if-none-match': brotliEtag })).status, 200, 'identity selected: another ETag');
  assert.is((await get(`${service.url}/`, { 'accept-encoding': 'br', 'if-none-match': etag })).status, 200);
  const range = await get(`${service.url}/`, { 'accept-encoding': 'br', range: 'bytes=0-9', 'if-range': brotliEtag });
  assert.equal([range.status, range.headers['content-encoding'], range.headers.vary], [206, 'br', 'Accept-Encoding']);
  assert.ok(range.body.equals(brotli.body.subarray(0, 10)), 'a range of the brotli bytes');
  assert.is(range.headers['content-range'], `bytes 0-9/${brotli.body.byteLength}`);
});

test('no variants for small objects, binary types or COMPRESSION=off: no Content-Encoding, no Vary', async () => {
  const cases: Array<[Buffer, string, Record<string, string>]> = [
    [Buffer.from('short text'), 'text/plain', {}],
    [Buffer.alloc(64 * 1024, 7), 'application/octet-stream', {}],
    [text, 'text/plain', { COMPRESSION: 'off' }],
  ];
  for (const [body, contentType, extra] of cases) {
    const { env } = await objectInStore(body, contentType);
    const service = await startService({ env: { ...env, ...extra } });
    try {
      const answer = await get(`${service.url}/`, { 'accept-encoding': 'br, gzip' });
      assert.equal([answer.headers['content-encoding'], answer.headers.vary], [undefined, undefined], contentType);
      assert.ok(answer.body.equals(body));
    } finally {
      await service.kill();
    }
  }
});

test.after(async () => {
  await shared?.service.kill();
});

test.run();
