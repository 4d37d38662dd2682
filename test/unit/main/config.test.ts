import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, helpText, loadCommand, reservedFileDescriptors, type Config } from '../../../src/main/config.ts';
import { parseDuration, parseSize } from '../../../src/main/config-values.ts';
import { ExitCode, exitCodeMeanings } from '../../../src/main/exit-codes.ts';
import { healthUrl } from '../../../src/main/healthcheck.ts';
import { softOpenFileLimit } from '../../../src/main/open-file-limit.ts';

function load(env: Record<string, string> = {}, argv: string[] = []): Config {
  const command = loadCommand(argv, env);
  if (command.command === 'help') throw new Error('unexpected --help');
  return command.config;
}

test('defaults: port 8000 on all interfaces, example/object.txt, refresh every 60 s', () => {
  const config = load();
  assert.is(config.port, 8000);
  assert.is(config.host, '0.0.0.0');
  assert.is(config.bucket, 'example');
  assert.is(config.key, 'object.txt');
  assert.is(config.refreshIntervalMs, 60_000);
  assert.is(config.shutdownTimeoutMs, 4_000);
  assert.is(config.endpoint, undefined);
  assert.is(config.forcePathStyle, false);
  assert.is(config.region, undefined);
  assert.is(config.logLevel, 'info');
  assert.is(config.keepAliveTimeoutMs, 65_000);
  assert.is(config.headersTimeoutMs, 10_000);
  assert.is(config.opsPort, undefined);
  assert.is(config.opsHost, '0.0.0.0');
});

test('MAX_CONNECTIONS defaults to the open-file limit less what the process itself needs', () => {
  const limit = softOpenFileLimit();
  assert.ok(limit !== undefined && limit > 0, 'reads the limit on Linux');
  assert.is(load().maxConnections, Math.max(1, limit - reservedFileDescriptors));
  assert.is(load({ MAX_CONNECTIONS: '100' }).maxConnections, 100);
});

test('OPS_HOST follows HOST unless set', () => {
  assert.is(load({ HOST: '127.0.0.2', OPS_PORT: '9100' }).opsHost, '127.0.0.2');
  assert.is(load({ HOST: '127.0.0.2', OPS_PORT: '9100', OPS_HOST: '127.0.0.3' }).opsHost, '127.0.0.3');
});

test('--healthcheck probes the liveness endpoint where the configuration puts it', () => {
  const probe = (env: Record<string, string>) => {
    const command = loadCommand(['--healthcheck'], env);
    assert.is(command.command, 'healthcheck');
    return command.command === 'healthcheck' ? healthUrl(command.config) : '';
  };
  assert.is(probe({}), 'http://127.0.0.1:8000/-/healthz');
  assert.is(probe({ PORT: '9000', OPS_PREFIX: '/_ops' }), 'http://127.0.0.1:9000/_ops/healthz');
  assert.is(probe({ OPS_PORT: '9100', OPS_HOST: '::' }), 'http://[::1]:9100/-/healthz');
  assert.is(probe({ HOST: '10.1.2.3', OPS_ENDPOINTS: 'false' }), 'http://10.1.2.3:8000/');
});

test('an endpoint turns on path-style addressing and a default region', () => {
  const config = load({ S3_ENDPOINT: 'http://127.0.0.1:9000' });
  assert.is(config.forcePathStyle, true);
  assert.is(config.region, 'us-east-1');
  assert.is(load({ S3_ENDPOINT: 'http://h:1', AWS_REGION: 'eu-west-3' }).region, 'eu-west-3');
  assert.is(load({ S3_ENDPOINT: 'http://h:1', S3_FORCE_PATH_STYLE: 'false' }).forcePathStyle, false);
});

test("the SDK's standard endpoint variables are read when S3_ENDPOINT is unset", () => {
  assert.is(load({ AWS_ENDPOINT_URL: 'http://a:1' }).endpoint, 'http://a:1');
  assert.is(load({ AWS_ENDPOINT_URL: 'http://a:1', AWS_ENDPOINT_URL_S3: 'http://b:2' }).endpoint, 'http://b:2');
  assert.is(load({ AWS_ENDPOINT_URL_S3: 'http://b:2', S3_ENDPOINT: 'http://c:3' }).endpoint, 'http://c:3');
});

test('a flag wins over the environment', () => {
  const config = load({ PORT: '9000', S3_BUCKET: 'from-env' }, ['--port', '9001', '--s3-bucket=from-flag']);
  assert.is(config.port, 9001);
  assert.is(config.bucket, 'from-flag');
});

test('durations: ms, s, m, h; a bare number means seconds', () => {
  assert.is(parseDuration('500ms'), 500);
  assert.is(parseDuration('10s'), 10_000);
  assert.is(parseDuration('1m'), 60_000);
  assert.is(parseDuration('1.5'), 1_500);
  assert.is(parseDuration('2h'), 7_200_000);
  assert.throws(() => parseDuration('abc'));
  assert.throws(() => parseDuration('-1s'));
});

test('sizes: bytes, KiB, MiB, GiB', () => {
  assert.is(parseSize('1024'), 1024);
  assert.is(parseSize('512KiB'), 512 * 1024);
  assert.is(parseSize('64MiB'), 64 * 1024 ** 2);
  assert.throws(() => parseSize('64MB'));
});

const rejected: Array<[Record<string, string>, string[], RegExp]> = [
  [{ PORT: '0' }, [], /PORT="0" is not accepted; use an integer from 1 to 65535/],
  [{ PORT: '70000' }, [], /PORT="70000"/],
  [{ REFRESH_INTERVAL: 'abc' }, [], /REFRESH_INTERVAL="abc" is not accepted; use a duration/],
  [{ S3_ENDPOINT: 'ftp://x' }, [], /S3_ENDPOINT="ftp:\/\/x" is not accepted; use an http:\/\/ or https:\/\/ URL/],
  [{ S3_ENDPOINT: 'not a url' }, [], /S3_ENDPOINT/],
  [{ S3_BUCKET: ' ' }, [], /S3_BUCKET=" " is not accepted; use a non-empty value/],
  [{ S3_BUCKET: '' }, [], /S3_BUCKET="" is not accepted; use a non-empty value/],
  [{ S3_ENDPOINT: '' }, [], /S3_ENDPOINT="" is not accepted/],
  [{ SHUTDOWN_TIMEOUT: '5s' }, [], /SHUTDOWN_TIMEOUT="5s" is not accepted; use a duration above 0 and below 5s/],
  [{ LOG_LEVEL: 'loud' }, [], /LOG_LEVEL="loud" is not accepted; use one of trace, debug/],
  [{}, ['--port', '0'], /--port="0" is not accepted/],
  [{}, ['--bogus'], /unknown option --bogus; run with --help/],
  [{}, ['positional'], /unexpected argument/],
  [{}, ['--port'], /option --port needs a value/],
  [{ OPS_PREFIX: '/' }, [], /OPS_PREFIX="\/" is not accepted/],
  [{ OPS_PORT: '8000' }, [], /OPS_PORT must differ from PORT/],
  [{ OPS_PORT: '9100', OPS_ENDPOINTS: 'false' }, [], /OPS_PORT is set but OPS_ENDPOINTS is false/],
  [{ KEEPALIVE_TIMEOUT: '2h' }, [], /KEEPALIVE_TIMEOUT="2h" is not accepted/],
  [{ MAX_CONNECTIONS: '0' }, [], /MAX_CONNECTIONS="0" is not accepted/],
  [{ DRAIN_DELAY: '3s', SHUTDOWN_TIMEOUT: '2s' }, [], /DRAIN_DELAY \(3000 ms\) must be shorter than SHUTDOWN_TIMEOUT/],
  [{ LOG_FORMAT: 'yaml' }, [], /LOG_FORMAT="yaml" is not accepted; use one of json, pretty/],
  [{ S3_PREFIX: 'site' }, [], /S3_PREFIX="site" is not accepted; use a prefix that ends with \//],
  [{ S3_PREFIX: '/site/' }, [], /S3_PREFIX="\/site\/" is not accepted/],
  [{ S3_PREFIX: 'site/', S3_KEY: 'object.txt' }, [], /S3_PREFIX and S3_KEY are both set/],
  [{ S3_PREFIX: 'site/' }, ['--s3-key', 'object.txt'], /S3_PREFIX and S3_KEY are both set/],
  [{ SNAPSHOT_MARKER: 'deploy.json' }, [], /SNAPSHOT_MARKER applies to S3_PREFIX only, which is not set; set S3_PREFIX or unset SNAPSHOT_MARKER/],
  [{ INDEX_DOCUMENT: 'index.htm' }, [], /INDEX_DOCUMENT applies to S3_PREFIX only/],
  [{ S3_PREFIX: 'site/', NOT_FOUND_DOCUMENT: '/404.html' }, [], /NOT_FOUND_DOCUMENT="\/404\.html" is not accepted; use a key relative to S3_PREFIX/],
  [{ S3_PREFIX: 'site/', FETCH_CONCURRENCY: '0' }, [], /FETCH_CONCURRENCY="0" is not accepted; use an integer from 1 to 256/],
  [{ S3_PREFIX: 'site/', MAX_OBJECTS: 'many' }, [], /MAX_OBJECTS="many" is not accepted/],
  [{ S3_PREFIX: 'site/', MAX_TOTAL_BYTES: '1TB' }, [], /MAX_TOTAL_BYTES="1TB" is not accepted/],
];

test('prefix mode: S3_PREFIX (/ alone: the whole bucket) and its settings, with their defaults', () => {
  const config = load({ S3_PREFIX: 'site/' });
  assert.equal(
    [config.prefix, config.indexDocument, config.notFoundDocument, config.snapshotMarker, config.maxObjects, config.maxTotalBytes, config.fetchConcurrency],
    ['site/', 'index.html', undefined, undefined, 10_000, 512 * 1024 ** 2, 16],
  );
  assert.is(load({ S3_PREFIX: '/' }).prefix, '');
  assert.is(load({ S3_PREFIX: 'site/', INDEX_DOCUMENT: 'off' }).indexDocument, undefined);
  assert.is(load().prefix, undefined, 'one-object mode by default');
});

test('bad values fail with one line naming the setting, the value and what is accepted', () => {
  for (const [env, argv, expected] of rejected) {
    try {
      load(env, argv);
      assert.unreachable(`accepted ${JSON.stringify({ env, argv })}`);
    } catch (error) {
      assert.instance(error, ConfigError);
      assert.match((error as Error).message, expected);
      assert.not.match((error as Error).message, /\n/);
    }
  }
});

test('private networks: the proxy for the store and the extra CAs, checked at start with one line each', () => {
  const directory = mkdtempSync(join(tmpdir(), 'config-ca-'));
  try {
    const pem = join(directory, 'ca.pem');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const notPem = join(directory, 'ca.txt');
    writeFileSync(notPem, 'not a certificate');
    const endpoint = { S3_ENDPOINT: 'https://ceph.internal:7443' };
    assert.is(load({ ...endpoint, AWS_CA_BUNDLE: pem }).caBundle, pem);
    assert.is(load({ ...endpoint, NODE_EXTRA_CA_CERTS: pem }).nodeExtraCaCerts, pem);
    assert.equal(load({ ...endpoint, HTTPS_PROXY: 'http://u:p@proxy:3128' }).storeProxy, { proxy: 'http://u:p@proxy:3128/', shown: 'proxy:3128 (HTTPS_PROXY)' });
    assert.is(load({ ...endpoint, HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: '.internal' }).storeProxy.proxy, undefined);
    const fails = (env: Record<string, string>, message: RegExp) =>
      assert.throws(() => load({ ...endpoint, ...env }), (error: Error) => error instanceof ConfigError && message.test(error.message) && !error.message.includes('\n'));
    fails({ AWS_CA_BUNDLE: join(directory, 'missing.pem') }, /AWS_CA_BUNDLE=".*missing\.pem" is not accepted; cannot read it \(ENOENT\); give the path of a PEM file/);
    fails({ AWS_CA_BUNDLE: notPem }, /AWS_CA_BUNDLE=.* is not accepted; it holds no PEM certificate/);
    fails({ NODE_EXTRA_CA_CERTS: notPem }, /NODE_EXTRA_CA_CERTS=.* is not accepted; it holds no PEM certificate/);
    fails({ HTTPS_PROXY: 'http://user:secret@[' }, /^invalid configuration: HTTPS_PROXY is not a URL/);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('SKEW_PROTECTION, RETAINED_SNAPSHOTS and PEERS: parsed, and PEERS needs REFRESH_TOKEN', () => {
  assert.is(load().skewProtectionMs, 0);
  assert.is(load({ SKEW_PROTECTION: '1h' }).skewProtectionMs, 3_600_000);
  assert.is(load({ SKEW_PROTECTION: 'off' }).skewProtectionMs, 0);
  assert.equal(load({ PEERS: 's3-object-cache-peers:9100', REFRESH_TOKEN: 'a-refresh-token-0123456789' }).peers, { dns: 's3-object-cache-peers', port: 9100 });
  assert.equal(load({ PEERS: 'http://a:9100/, http://b:9100', REFRESH_TOKEN: 'a-refresh-token-0123456789' }).peers, { urls: ['http://a:9100', 'http://b:9100'] });
  assert.throws(() => load({ PEERS: 'http://a:9100' }), /PEERS is set but REFRESH_TOKEN is not/);
  assert.throws(() => load({ PEERS: 'ftp://a', REFRESH_TOKEN: 'a-refresh-token-0123456789' }), /PEERS="ftp:\/\/a" is not accepted/);
  assert.throws(() => load({ SKEW_PROTECTION: '10ms' }), /SKEW_PROTECTION="10ms" is not accepted; use off, or a duration from 1s to 30 days/);
});

test('--help lists every setting with its flag, variable and default', () => {
  const help = helpText();
  for (const line of ['--port, PORT', '--refresh-interval, REFRESH_INTERVAL', '[default: 60s]', '--s3-endpoint, S3_ENDPOINT']) {
    assert.ok(help.includes(line), `help lacks ${line}`);
  }
});

test('--help lists every exit code from the one table', () => {
  const help = helpText();
  for (const code of Object.values(ExitCode)) {
    assert.match(help, new RegExp(`^  ${code} +${exitCodeMeanings[code]}$`, 'm'));
  }
});

test.run();
