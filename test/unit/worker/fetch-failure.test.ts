import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeFetchError } from '../../../src/worker/fetch-failure.ts';
import type { FetchJob } from '../../../src/protocol.ts';

const job: FetchJob = {
  bucket: 'example',
  key: 'object.txt',
  endpoint: 'http://127.0.0.1:9000',
  forcePathStyle: true,
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

test.run();
