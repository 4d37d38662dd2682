// What static hosts have, on a real store: a single-page app's shell for navigations to paths that
// name nothing (FALLBACK_DOCUMENT), and redirects kept as object metadata
// (x-amz-website-redirect-location), in prefix mode and for the one object.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { get } from '../helpers/http.ts';
import { byMessage, spawnService, startService } from '../helpers/service.ts';
import { objectInStore } from '../helpers/serving.ts';
import { siteInStore } from '../helpers/site.ts';
import { waitFor } from '../helpers/wait.ts';

const navigate = { 'sec-fetch-mode': 'navigate', accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const shell = (version: number) => ({ body: `<!doctype html><title>app v${version}</title><script src="/app.js"></script>`, contentType: 'text/html' });

test('FALLBACK_DOCUMENT: deep links get the shell with 200 for a navigation; scripts and images keep their 404; the rest is unchanged', async () => {
  const site = await siteInStore({
    'index.html': shell(1),
    'app.js': { body: 'console.log(1)', contentType: 'text/javascript' },
    'docs/index.html': { body: '<h1>docs</h1>', contentType: 'text/html' },
    '404.html': { body: 'not here', contentType: 'text/html' },
  });
  const service = await startService({ env: { ...site.env, FALLBACK_DOCUMENT: 'index.html', NOT_FOUND_DOCUMENT: '404.html', REFRESH_INTERVAL: '200ms' } });
  const home = await get(`${service.url}/`);
  for (const headers of [navigate, { accept: 'text/html,*/*;q=0.8' }]) {
    const deep = await get(`${service.url}/app/settings/42`, headers);
    assert.equal([deep.status, deep.text, deep.headers.etag], [200, shell(1).body, home.headers.etag], JSON.stringify(headers));
    assert.is(deep.headers.vary, 'Sec-Fetch-Mode, Accept');
  }
  assert.is((await get(`${service.url}/app/settings/42`, { ...navigate, 'if-none-match': String(home.headers.etag) })).status, 304);
  assert.is((await get(`${service.url}/app/settings/42`, { ...navigate, range: 'bytes=0-8' })).text, '<!doctype');
  assert.is((await get(`${service.url}/app/settings/42`, navigate, 'HEAD')).status, 200);
  for (const [path, headers] of [
    ['/missing.js', {}],
    ['/missing.js', { 'sec-fetch-mode': 'no-cors', accept: '*/*' }],
    ['/img/logo.png', { 'sec-fetch-mode': 'no-cors', accept: 'image/avif,image/webp,*/*;q=0.8' }],
    ['/api/data', { accept: 'application/json' }],
    ['/app/settings/42', { 'sec-fetch-mode': 'cors', accept: 'text/html' }],
  ] as const) {
    const missing = await get(`${service.url}${path}`, headers);
    assert.equal([missing.status, missing.text], [404, 'not here'], `${path} ${JSON.stringify(headers)}`);
  }
  assert.is((await get(`${service.url}/app.js`, navigate)).text, 'console.log(1)');
  const folder = await get(`${service.url}/docs`, navigate);
  assert.equal([folder.status, folder.headers.location], [301, '/docs/']);
  assert.is((await get(`${service.url}/docs/`, navigate)).text, '<h1>docs</h1>');
  await site.put('index.html', shell(2));
  await waitFor('the new shell at a deep link', async () => (await get(`${service.url}/somewhere/else`, navigate)).text === shell(2).body);
  await service.kill();
});

test('FALLBACK_DOCUMENT missing from a snapshot: the refresh fails with a line naming the setting', async () => {
  const site = await siteInStore({ 'index.html': shell(1) });
  const service = await spawnService({ env: { ...site.env, FALLBACK_DOCUMENT: 'app/shell.html' } });
  assert.is((await service.waitForExit(15_000)).code, 1);
  const line = service.logs.find((entry) => entry.level === 'error')!;
  assert.match(line.msg, /FallbackDocumentMissing: the next snapshot has no site\/app\/shell\.html, which FALLBACK_DOCUMENT names; upload it \(with the rest of the deploy\) or change FALLBACK_DOCUMENT/);
});

test('redirects from the store: 301 to a path or an http(s) URL, GET and HEAD, no body; gone from the next deploy: served again', async () => {
  const site = await siteInStore({ 'new.html': { body: 'new page', contentType: 'text/html' } });
  const redirect = (location: string) => ({ 'Content-Type': 'text/html', 'x-amz-website-redirect-location': location });
  await site.store.fixtures.putObject(site.bucket, `${site.prefix}old.html`, Buffer.from('old page'), 8, redirect('/new.html'));
  await site.store.fixtures.putObject(site.bucket, `${site.prefix}away.html`, Buffer.from('away'), 4, redirect('https://example.org/elsewhere?x=1'));
  await site.store.fixtures.putObject(site.bucket, `${site.prefix}odd.html`, Buffer.from('odd page'), 8, redirect('//example.org/file'));
  const service = await startService({ env: { ...site.env, REFRESH_INTERVAL: '200ms' } });
  for (const method of ['GET', 'HEAD'] as const) {
    const moved = await get(`${service.url}/old.html`, {}, method);
    assert.equal([moved.status, moved.headers.location, moved.headers['content-length'], moved.text], [301, '/new.html', '0', ''], method);
    assert.equal((await get(`${service.url}/away.html`, {}, method)).headers.location, 'https://example.org/elsewhere?x=1');
  }
  assert.equal([(await get(`${service.url}/odd.html`)).status, (await get(`${service.url}/odd.html`)).text], [200, 'odd page']);
  const ignored = service.logs.filter((line) => line.code === 'RedirectIgnored');
  assert.is(ignored.length, 1);
  assert.match(ignored[0]!.msg, /site\/odd\.html: its x-amz-website-redirect-location "\/\/example\.org\/file" is neither a path on this site nor an http\(s\) URL/);
  await site.put('old.html', { body: 'old page, kept', contentType: 'text/html' });
  await waitFor('the object served again', async () => (await get(`${service.url}/old.html`)).text === 'old page, kept');
  await service.kill();
});

test('one-object mode: the object\'s redirect answers /', async () => {
  const { store, env, bucket } = await objectInStore('x');
  await store.fixtures.putObject(bucket, 'object.txt', Buffer.from('moved'), 5, { 'x-amz-website-redirect-location': 'https://example.org/object' });
  const service = await startService({ env });
  const moved = await get(`${service.url}/`);
  assert.equal([moved.status, moved.headers.location, moved.text], [301, 'https://example.org/object', '']);
  assert.ok(service.logs.some(byMessage('object fetched')));
  await service.kill();
});

test.run();
