// A real fleet: three replicas behind nginx (round-robin), refreshing every 2 s, started 0.6 s
// apart, so that during each deploy some replicas serve the new snapshot and some the old. Ten
// deploys as a site builder makes them (assets under names that carry their version, first; the
// pages next; the marker last) while clients load a page and then its 20 assets through the
// balancer, keeping cookies: with SKEW_PROTECTION every asset of a page load comes from its deploy;
// without it some do not (a replica that has not swapped yet answers 404), which is what the test
// would catch. A headless Chromium does the same, the page's own script checking its assets.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import { temporaryDirectory } from '../helpers/cleanup.ts';
import { startBalancer } from '../helpers/nginx.ts';
import { startService, type ServiceProcess } from '../helpers/service.ts';
import { siteInStore, type SiteInStore } from '../helpers/site.ts';
import { programMissing, testUnless } from '../helpers/skips.ts';

const assetCount = 20;
/** Versioned names, as a site builder writes them (`app.3f9a1c.js`): a deploy adds, never overwrites. */
const assetsOf = (version: number) => Array.from({ length: assetCount }, (_, index) => `assets/asset-${index}.v${version}.js`);
const pages = Array.from({ length: 4 }, (_, index) => `page-${index}.html`);
const page = (version: number) => ({
  body: [
    '<!doctype html><html><head><title>fleet</title><script>window.versions = [];</script>',
    ...assetsOf(version).map((asset) => `<script src="/${asset}"></script>`),
    `</head><body data-version="${version}"><script>`,
    `document.body.setAttribute('data-result', window.versions.length === ${assetCount} && window.versions.every((v) => v === ${version}) ? 'consistent' : 'mixed:' + window.versions.join(','));`,
    '</script></body></html>',
  ].join('\n'),
  contentType: 'text/html',
});
const script = (version: number, asset: string) => ({ body: `window.versions.push(${version}); // ${asset}`, contentType: 'text/javascript' });

const seconds = () => (performance.now() / 1000).toFixed(2);
/** When each deploy began and when its marker was written, for a failing test's message. */
const deploys: string[] = [];

async function deploy(site: SiteInStore, version: number): Promise<void> {
  const began = seconds();
  await Promise.all(assetsOf(version).map((asset) => site.put(asset, script(version, asset))));
  await Promise.all(pages.map((name) => site.put(name, page(version))));
  await site.put('deploy.json', String(version));
  deploys.push(`v${version} ${began}-${seconds()} s`);
}

async function startFleet(skewProtection: string) {
  const site = await siteInStore({});
  deploys.length = 0;
  await deploy(site, 1);
  const replicas: ServiceProcess[] = [];
  for (let index = 0; index < 3; index++) {
    const startedAt = performance.now();
    replicas.push(await startService({ env: { ...site.env, SNAPSHOT_MARKER: 'deploy.json', REFRESH_INTERVAL: '2s', SKEW_PROTECTION: skewProtection } }));
    const left = 600 - (performance.now() - startedAt);
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
  }
  const balancer = await startBalancer(replicas.map((replica) => replica.port));
  return { site, replicas, balancer };
}

/** Ten deploys 2.5 s apart (about as often as the replicas refresh), while `load` runs; resolves once both are done. */
async function deploysDuring(site: SiteInStore, load: (deploying: () => boolean) => Promise<void>): Promise<void> {
  let done = false;
  const loading = load(() => !done);
  for (let version = 2; version <= 11; version++) {
    await deploy(site, version);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
  }
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  done = true;
  await loading;
}

/** Which replica answered (nginx's X-Upstream), from which snapshot: what a failing test's message shows. */
const origin = (headers: Record<string, string | string[] | undefined>) => `${headers['x-upstream']} ${headers['snapshot-id']}`;

/** Clients with cookie jars load pages and then their assets through the balancer; returns the loads and the mixed ones, described. */
async function cookieJarClients(url: string, site: SiteInStore): Promise<{ loads: number; mixed: string[] }> {
  let loads = 0;
  const mixed: string[] = [];
  await deploysDuring(site, async (deploying) => {
    await Promise.all(
      Array.from({ length: 4 }, async (_, client) => {
        let cookie = '';
        while (deploying()) {
          const pageAnswer = await request(`${url}/${pages[client]}`, { headers: { 'sec-fetch-mode': 'navigate', accept: 'text/html', cookie } });
          const setCookie = pageAnswer.headers['set-cookie'];
          if (setCookie !== undefined) cookie = String(setCookie).split(';')[0]!;
          const text = await pageAnswer.body.text();
          const version = Number(/data-version="(\d+)"/.exec(text)![1]);
          const assets = await Promise.all(
            [...text.matchAll(/src="\/([^"]+)"/g)].map(async ([, asset]) => {
              const answer = await request(`${url}/${asset}`, { headers: { 'sec-fetch-mode': 'no-cors', accept: '*/*', cookie } });
              const assetVersion = Number(/push\((\d+)\)/.exec(await answer.body.text())?.[1] ?? -answer.statusCode);
              return { assetVersion, from: `${answer.statusCode} from ${origin(answer.headers)}` };
            }),
          );
          loads++;
          const wrong = assets.filter(({ assetVersion }) => assetVersion !== version);
          if (wrong.length > 0) {
            mixed.push(`at ${seconds()} s, page v${version} from ${origin(pageAnswer.headers)} (${cookie}), ${wrong.length} assets not v${version}, first ${wrong[0]!.from}`);
          }
        }
      }),
    );
  });
  return { loads, mixed };
}

const needsNginx = testUnless(programMissing('nginx', 'apt-get install nginx'));

needsNginx('SKEW_PROTECTION=1h: zero page loads mix deploys across three replicas', async () => {
  const { site, replicas, balancer } = await startFleet('1h');
  const { loads, mixed } = await cookieJarClients(balancer.url, site);
  assert.ok(loads > 50, `only ${loads} page loads`);
  assert.equal(mixed, [], `${mixed.length} of ${loads} page loads mixed deploys; deploys: ${deploys.join(', ')}`);
  await Promise.all([balancer.stop(), ...replicas.map((replica) => replica.kill())]);
});

needsNginx('SKEW_PROTECTION=0: the same fleet mixes deploys (the test above can fail)', async () => {
  const { site, replicas, balancer } = await startFleet('0');
  const { loads, mixed } = await cookieJarClients(balancer.url, site);
  assert.ok(mixed.length > 0, `no mixed page load in ${loads} without skew protection: the fleet test proves nothing`);
  await Promise.all([balancer.stop(), ...replicas.map((replica) => replica.kill())]);
});

testUnless(programMissing(['nginx', 'chromium'], 'apt-get install nginx chromium'))('a real browser: every page it loads during the deploys has its own deploy\'s assets', async () => {
  const { site, replicas, balancer } = await startFleet('1h');
  const profile = temporaryDirectory('chromium');
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`];
  const results: string[] = [];
  await deploysDuring(site, async (deploying) => {
    while (deploying()) {
      const { stdout } = await promisify(execFile)('chromium', [...flags, '--dump-dom', `${balancer.url}/${pages[results.length % pages.length]}`], { encoding: 'utf8', timeout: 30_000 });
      results.push(/data-result="([^"]*)"/.exec(stdout)?.[1] ?? 'no result');
    }
  });
  assert.ok(results.length >= 5, `only ${results.length} page loads`);
  assert.equal(results.filter((result) => result !== 'consistent'), [], `${results.length} loads`);
  await Promise.all([balancer.stop(), ...replicas.map((replica) => replica.kill())]);
});

test.run();
