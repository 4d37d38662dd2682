// Prefix mode (S3_PREFIX) as clients see it, on a real store: every object at its path with its
// exact bytes (300+ keys with awkward names, encoded as a browser or curl sends them), index
// documents and the redirect to them, 404 and the not-found document, paths that try to leave the
// prefix, each object a full citizen (validators, ranges, compression, digests, its own type and
// Cache-Control), and the operations endpoints winning over an object of the same path.
import { createHash } from 'node:crypto';
import { brotliDecompressSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Client } from 'undici';
import { rawRequest } from '../helpers/raw-http.ts';
import { startService, spawnService, type ServiceProcess } from '../helpers/service.ts';
import { siteInStore, type SiteFile } from '../helpers/site.ts';
import { get } from '../helpers/http.ts';


/** Characters that keys hold and paths must carry: reserved, unreserved, and beyond ASCII. */
const awkward = [' ', '+', '%', ';', '=', '&', ',', '@', '$', '!', "'", '(', ')', '#', '?', '[', ']', '~', 'é', '日本語', '😀', '%20'];

function awkwardKeys(count: number): string[] {
  return Array.from({ length: count }, (_, index) => {
    const mark = awkward[index % awkward.length]!;
    const folder = index % 3 === 0 ? `dir ${mark}/` : index % 3 === 1 ? `a/b${mark}c/` : '';
    return `${folder}file${mark}${index}.bin`;
  });
}

/** As curl sends a path built with encodeURIComponent per segment: every reserved character escaped. */
const componentEncoded = (key: string) => `/${key.split('/').map(encodeURIComponent).join('/')}`;
/** As a browser sends a link's path: the WHATWG URL parser's encoding, `+ ; = & , @ $ ! ' ( )` left as they are. */
const browserEncoded = (key: string) => new URL(`http://x/${key.replaceAll('%', '%25').replaceAll('#', '%23').replaceAll('?', '%3F')}`).pathname;

let shared: { service: ServiceProcess; files: Map<string, Buffer> } | undefined;

/** One service for the read-only tests: 320 objects with awkward keys and a small site beside them. */
async function siteService() {
  if (shared !== undefined) return shared;
  const files = new Map<string, Buffer>();
  for (const key of awkwardKeys(320)) files.set(key, createHash('sha256').update(key).digest());
  const site: Record<string, SiteFile> = Object.fromEntries([...files].map(([key, body]) => [key, { body }]));
  const page = '<!doctype html><title>home</title>'.padEnd(4096, ' ');
  Object.assign(site, {
    'index.html': { body: page, contentType: 'text/html; charset=utf-8' },
    'docs/index.html': { body: '<p>docs</p>', contentType: 'text/html' },
    '404.html': { body: '<p>not here</p>', contentType: 'text/html' },
    'style.css': { body: 'body { color: red }\n'.repeat(200) }, // stored as application/octet-stream
    'data.json': { body: '{"a":1}', contentType: 'binary/octet-stream' },
    'app.3f2a.js': { body: 'console.log(1)\n'.repeat(100), contentType: 'text/javascript', cacheControl: 'public, max-age=31536000, immutable' },
    'image.png': { body: Buffer.from([0x89, 0x50, 0x4e, 0x47, ...Array.from({ length: 2000 }, (_, index) => index % 256)]) },
    'folder-placeholder/': { body: '' },
    '-/healthz': { body: 'an object where the ops endpoint is' },
  });
  for (const [key, { body }] of Object.entries(site)) files.set(key, Buffer.from(body));
  const { env, store, bucket } = await siteInStore(site);
  await store.fixtures.putObject(bucket, 'secret.txt', Buffer.from('outside the prefix')); // beside the prefix, never reached
  shared = { service: await startService({ env: { ...env, NOT_FOUND_DOCUMENT: '404.html' } }, 30_000), files };
  return shared;
}

test('300+ keys with awkward names: exact bytes at their paths, encoded as curl or as a browser sends them', async () => {
  const { service, files } = await siteService();
  const client = new Client(service.url, { pipelining: 8 });
  try {
    const keys = awkwardKeys(320);
    await Promise.all(
      keys.flatMap((key) =>
        [componentEncoded(key), browserEncoded(key)].map(async (path) => {
          const response = await client.request({ path, method: 'GET' });
          const body = Buffer.from(await response.body.arrayBuffer());
          assert.is(response.statusCode, 200, `${key} at ${path}`);
          assert.ok(body.equals(files.get(key)!), `${key} at ${path}: not its bytes`);
        }),
      ),
    );
  } finally {
    await client.close();
  }
});

test('index documents, the redirect to them (query kept), 404 with the not-found document on GET and HEAD', async () => {
  const { service } = await siteService();
  const home = await get(`${service.url}/?utm=x`);
  assert.equal([home.status, home.headers['content-type']], [200, 'text/html; charset=utf-8']);
  assert.match(home.body.toString(), /^<!doctype html><title>home<\/title>/);
  assert.is((await get(`${service.url}/docs/`)).body.toString(), '<p>docs</p>');
  const redirect = await rawRequest(service.port, '/docs?lang=en');
  assert.equal([redirect.status, redirect.headers.location], [301, '/docs/?lang=en']);
  for (const method of ['GET', 'HEAD'] as const) {
    const missing = await get(`${service.url}/no/such/page`, {}, method);
    assert.equal([missing.status, missing.headers['content-type']], [404, 'text/html'], method);
    assert.is(missing.body.toString(), method === 'GET' ? '<p>not here</p>' : '');
    assert.is(missing.headers.etag, undefined, 'a 404 carries no validator of the document');
  }
  assert.is((await get(`${service.url}/folder-placeholder/`)).status, 404, 'a folder placeholder is not served');
  assert.is((await rawRequest(service.port, '/%E0%A4%A')).status, 400, 'malformed percent-encoding');
  assert.is((await get(`${service.url}/index.html`, {}, 'HEAD')).status, 200);
  const post = await rawRequest(service.port, '/style.css', 'POST');
  assert.equal([post.status, post.headers.allow], [405, 'GET, HEAD']);
});

test('no path leaves the prefix: dot segments, encoded dots and slashes, empty segments', async () => {
  const { service } = await siteService();
  for (const target of ['/../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E%2Fsecret.txt', '/..%2Fsecret.txt', '//secret.txt', '/.%2e/secret.txt', '/docs/../../secret.txt', '/%2Fsecret.txt']) {
    const answer = await rawRequest(service.port, target);
    assert.is(answer.status, 404, target);
    assert.not.match(answer.body.toString(), /outside the prefix/, target);
  }
});

test('each object a full citizen: its type (the store\'s, else by extension), Cache-Control, 304, ranges, compression', async () => {
  const { service, files } = await siteService();
  const css = await get(`${service.url}/style.css`, { 'accept-encoding': 'br' });
  assert.equal([css.headers['content-type'], css.headers['content-encoding'], css.headers.vary], ['text/css; charset=utf-8', 'br', 'Accept-Encoding']);
  assert.ok(brotliDecompressSync(css.body).equals(files.get('style.css')!), 'the br variant is not the object');
  assert.is((await get(`${service.url}/data.json`)).headers['content-type'], 'application/json; charset=utf-8');
  assert.is((await get(`${service.url}/image.png`)).headers['content-type'], 'image/png');
  assert.is((await get(`${service.url}/image.png`, { 'accept-encoding': 'br' })).headers['content-encoding'], undefined, 'a PNG is not compressed');
  assert.is((await get(`${service.url}/app.3f2a.js`)).headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.is((await get(`${service.url}/docs/`)).headers['cache-control'], 'public, max-age=60');
  const plain = await get(`${service.url}/image.png`);
  assert.match(String(plain.headers['repr-digest']), `sha-256=:${createHash('sha256').update(files.get('image.png')!).digest('base64')}:`);
  const etag = String(plain.headers.etag);
  assert.is((await get(`${service.url}/image.png`, { 'if-none-match': etag })).status, 304);
  assert.is((await get(`${service.url}/image.png`, { 'if-modified-since': String(plain.headers['last-modified']) })).status, 304);
  const range = await get(`${service.url}/image.png`, { range: 'bytes=10-19', 'if-range': etag });
  assert.equal([range.status, range.body], [206, files.get('image.png')!.subarray(10, 20)]);
  assert.is((await get(`${service.url}/image.png`, { range: 'bytes=10-19', 'if-range': '"other"' })).status, 200);
});

test('the operations endpoints win over an object at the same path on the public port', async () => {
  const { service } = await siteService();
  assert.is((await get(`${service.url}/-/healthz`)).body.toString(), 'ok\n');
  assert.is((await get(`${service.url}/-/readyz`)).status, 200);
});

test('INDEX_DOCUMENT=off: a path ending in / is a 404, and no redirect', async () => {
  const { env } = await siteInStore({ 'index.html': 'home', 'docs/index.html': 'docs' });
  const service = await startService({ env: { ...env, INDEX_DOCUMENT: 'off' } });
  try {
    assert.is((await get(`${service.url}/`)).status, 404);
    assert.is((await get(`${service.url}/docs`)).status, 404);
    assert.is((await get(`${service.url}/index.html`)).body.toString(), 'home');
  } finally {
    await service.kill();
  }
});

test('S3_PREFIX with S3_KEY is a configuration error: exit 2, one line naming both', async () => {
  const service = await spawnService({ env: { S3_PREFIX: 'site/', S3_KEY: 'object.txt' } });
  assert.is((await service.waitForExit()).code, 2);
  const fatal = service.logs.filter((line) => line.level === 'fatal');
  assert.is(fatal.length, 1);
  assert.match(fatal[0]!.msg, /S3_PREFIX and S3_KEY are both set/);
});

test.run();
