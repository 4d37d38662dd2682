// How the store is reached: the URL the SDK addresses, and the proxy from the environment as curl
// reads it (lower case first; NO_PROXY's hosts, domains, `*`, ports and CIDR ranges).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bypassesProxy, proxyFor, ProxySettingError, storeUrl } from '../../../src/main/store-route.ts';

const url = (text: string) => new URL(text);

test('the store URL: path style on the endpoint, the bucket as a subdomain otherwise, AWS by region', () => {
  const config = { bucket: 'b', region: 'eu-west-1', forcePathStyle: true, endpoint: 'https://ceph.internal:7443' };
  assert.is(storeUrl(config).href, 'https://ceph.internal:7443/');
  assert.is(storeUrl({ ...config, forcePathStyle: false }).href, 'https://b.ceph.internal:7443/');
  assert.is(storeUrl({ ...config, endpoint: undefined, forcePathStyle: false }).href, 'https://b.s3.eu-west-1.amazonaws.com/');
});

test('NO_PROXY as curl reads it: *, a host and its subdomains (leading dot or *. or neither), ports, CIDR', () => {
  const store = url('https://s3.corp.example:7443/');
  for (const list of ['*', 's3.corp.example', 'corp.example', '.corp.example', '*.corp.example', 'other, corp.example', 'CORP.EXAMPLE', 's3.corp.example:7443']) {
    assert.ok(bypassesProxy(list, store), list);
  }
  for (const list of ['', 'example.org', 'xcorp.example', 's3.corp.example:443', 'corp.example.org', '10.0.0.0/8']) {
    assert.not.ok(bypassesProxy(list, store), list);
  }
  assert.ok(bypassesProxy('10.0.0.0/8', url('http://10.1.2.3:9000/')));
  assert.ok(bypassesProxy('127.0.0.1', url('http://127.0.0.1:9000/')));
  assert.ok(bypassesProxy('[::1]:9000', url('http://[::1]:9000/')));
  assert.ok(bypassesProxy('s3.corp.example:443', url('https://s3.corp.example/')));
});

test('the proxy: by the scheme of the store, lower case first, NO_PROXY wins; shown as its host only', () => {
  const store = url('https://s3.corp.example/');
  assert.equal(proxyFor(store, {}), { proxy: undefined, shown: 'none' });
  assert.equal(proxyFor(store, { HTTP_PROXY: 'http://p:1' }), { proxy: undefined, shown: 'none' });
  assert.equal(proxyFor(store, { HTTPS_PROXY: 'http://user:secret@upper:3128', https_proxy: 'http://lower:3128' }), {
    proxy: 'http://lower:3128/',
    shown: 'lower:3128 (https_proxy)',
  });
  const withCredentials = proxyFor(store, { HTTPS_PROXY: 'http://user:secret@proxy:3128' });
  assert.is(withCredentials.proxy, 'http://user:secret@proxy:3128/');
  assert.is(withCredentials.shown, 'proxy:3128 (HTTPS_PROXY)');
  assert.equal(proxyFor(store, { HTTPS_PROXY: 'proxy:3128' }).proxy, 'http://proxy:3128/');
  assert.equal(proxyFor(store, { HTTPS_PROXY: 'http://proxy:3128', no_proxy: '.corp.example' }), { proxy: undefined, shown: 'none (NO_PROXY lists s3.corp.example)' });
  assert.is(proxyFor(url('http://minio:9000/'), { HTTP_PROXY: 'http://proxy:3128' }).proxy, 'http://proxy:3128/');
});

test('a proxy URL that is not one: one line naming the variable, never the value', () => {
  assert.throws(() => proxyFor(url('https://s/'), { HTTPS_PROXY: 'http://user:secret@[bad' }), (error: Error) => error instanceof ProxySettingError && /^HTTPS_PROXY is not a URL/.test(error.message) && !error.message.includes('secret'));
  assert.throws(() => proxyFor(url('https://s/'), { HTTPS_PROXY: 'socks5://user:secret@proxy:1080' }), /HTTPS_PROXY names a socks5 proxy at proxy:1080; only http:\/\/ and https:\/\/ proxies/);
});

test.run();
