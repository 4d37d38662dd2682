import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeFetchError } from '../../../src/worker/fetch-failure.ts';
import type { FetchJob } from '../../../src/protocol.ts';

const job: FetchJob = {
  bucket: 'example',
  key: 'object.txt',
  endpoint: 'http://127.0.0.1:9000',
  forcePathStyle: true,
  proxy: undefined,
  caBundle: undefined,
  region: 'us-east-1',
  refreshIntervalMs: 60_000,
  fetchTimeoutMs: 5_000,
  maxObjectBytes: 1024,
  compression: ['br', 'gzip'],
  compressionMaxBytes: 16 * 1024 * 1024,
  integrityCheck: true,
  staleIfErrorMs: 0,
  cacheFile: undefined,
  prefix: undefined,
  fallbackDocument: undefined,
  snapshotMarker: undefined,
  maxObjects: 10_000,
  maxTotalBytes: 512 * 1024 * 1024,
  fetchConcurrency: 16,
};

test('an S3 error names the object, the code, the status and the fix', () => {
  const error = Object.assign(new Error('The specified key does not exist.'), {
    name: 'NoSuchKey',
    $metadata: { httpStatusCode: 404 },
  });
  const failure = describeFetchError(error, job);
  assert.is(failure.code, 'NoSuchKey');
  assert.is(failure.httpStatus, 404);
  assert.is(
    failure.message,
    'cannot fetch s3://example/object.txt from http://127.0.0.1:9000: NoSuchKey (HTTP 404): The specified key does not exist.; upload the object "object.txt" or set S3_KEY',
  );
});

test('a refused connection, also inside an AggregateError, is ECONNREFUSED', () => {
  const plain = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9000'), { code: 'ECONNREFUSED' });
  assert.is(describeFetchError(plain, job).code, 'ECONNREFUSED');
  const aggregate = new AggregateError([plain], '');
  assert.is(describeFetchError(aggregate, job).code, 'ECONNREFUSED');
  assert.match(describeFetchError(aggregate, job).message, /check that the store at http:\/\/127.0.0.1:9000 is running/);
});

test('a timeout names FETCH_TIMEOUT', () => {
  const error = Object.assign(new Error('request timed out'), { name: 'TimeoutError', code: 'ETIMEDOUT' });
  assert.match(describeFetchError(error, job).message, /TimeoutError: request timed out; the store did not answer within FETCH_TIMEOUT=5s/);
});

test('no region anywhere: the fix is AWS_REGION', () => {
  const failure = describeFetchError(new Error('Region is missing'), { ...job, endpoint: undefined });
  assert.is(failure.code, 'RegionMissing');
  assert.match(failure.message, /from AWS S3: RegionMissing: Region is missing; set AWS_REGION$/);
});

test('an error with no name or code still gives one line', () => {
  const failure = describeFetchError('boom\nsecond line', job);
  assert.is(failure.code, 'Error');
  assert.not.match(failure.message, /\n/);
});

test('a listing names the prefix, and access denied to it asks for s3:ListBucket', () => {
  const error = Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
  const failure = describeFetchError(error, { ...job, prefix: 'site/' }, { kind: 'list', prefix: 'site/' });
  assert.is(
    failure.message,
    'cannot list s3://example/site/ from http://127.0.0.1:9000: AccessDenied (HTTP 403): Access Denied; grant s3:ListBucket on example (and s3:GetObject on example/site/*) to these credentials',
  );
});

const proxied = { ...job, endpoint: 'https://store.internal:7443', proxy: 'http://user:proxy-password@proxy.internal:3128/' };

test('through a proxy, a connection that fails is the proxy\'s: the line names its host and never its credentials', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:3128'), { code: 'ECONNREFUSED' });
  const failure = describeFetchError(refused, proxied);
  assert.is(failure.code, 'ProxyUnreachable');
  assert.match(failure.message, /^cannot fetch s3:\/\/example\/object\.txt from https:\/\/store\.internal:7443 through the proxy proxy\.internal:3128: ProxyUnreachable: connect ECONNREFUSED/);
  assert.match(failure.message, /check that the proxy at proxy\.internal:3128 is running/);
  assert.not.match(failure.message, /proxy-password|user:/);
});

test('a proxy that asks for credentials (CONNECT or absolute form), refuses the store, or cannot reach it', () => {
  const tunnel = (status: number) => Object.assign(new Error(`Failed to establish tunnel: HTTP/1.1 ${status}`), { code: 'ERR_PROXY_TUNNEL', statusCode: status });
  const asksCredentials = /the proxy at proxy\.internal:3128 wants credentials: put USER:PASSWORD@ before its host in HTTPS_PROXY or HTTP_PROXY$/;
  assert.match(describeFetchError(tunnel(407), proxied).message, asksCredentials);
  const absolute = Object.assign(new Error('Unknown'), { name: 'Unknown', $metadata: { httpStatusCode: 407 } });
  assert.match(describeFetchError(absolute, proxied).message, asksCredentials);
  assert.match(describeFetchError(tunnel(403), proxied).message, /ProxyTunnelFailed \(HTTP 403\).*does not allow connections to the store/);
  assert.match(describeFetchError(tunnel(503), proxied).message, /ProxyTunnelFailed \(HTTP 503\).*could not reach the store: check S3_ENDPOINT/);
  const unreachableBehind = Object.assign(new Error(''), { name: 'Unknown', $metadata: { httpStatusCode: 503 } });
  assert.match(describeFetchError(unreachableBehind, proxied).message, /HTTP503 \(HTTP 503\); the proxy at proxy\.internal:3128 could not reach the store/);
  assert.not.match(describeFetchError(unreachableBehind, job).message, /proxy/);
});

test('a certificate that does not verify: unknown authority, expired, another host name', () => {
  const tls = (code: string, message: string) => Object.assign(new Error(message), { code });
  const endpoint = { ...job, endpoint: 'https://store.internal:7443' };
  assert.match(
    describeFetchError(tls('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'), endpoint).message,
    /from https:\/\/store\.internal:7443: UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate; .*set AWS_CA_BUNDLE \(or NODE_EXTRA_CA_CERTS\)/,
  );
  assert.match(describeFetchError(tls('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'), endpoint).message, /AWS_CA_BUNDLE/);
  assert.match(describeFetchError(tls('CERT_HAS_EXPIRED', 'certificate has expired'), endpoint).message, /CERT_HAS_EXPIRED: certificate has expired; .*renew it/);
  assert.match(
    describeFetchError(tls('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"), endpoint).message,
    /ERR_TLS_CERT_ALTNAME_INVALID: .*not issued for the host in S3_ENDPOINT \(https:\/\/store\.internal:7443\)/,
  );
});

test.run();
