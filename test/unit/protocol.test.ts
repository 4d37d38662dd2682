import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isWorkerToMain } from '../../src/protocol.ts';

const changed = {
  body: new SharedArrayBuffer(1),
  sha256: 'x',
  variants: [],
  etag: '"a"',
  lastModified: undefined,
  lastModifiedStrong: true,
  contentType: 'text/plain',
  cacheControl: undefined,
  integrity: 'md5',
};

test('well-formed worker messages are accepted', () => {
  assert.ok(isWorkerToMain({ type: 'changed', durationMs: 3, answers: 1, prepareMs: 1, confirmedAt: 1, fromCacheFile: false, object: changed }));
  assert.ok(isWorkerToMain({ type: 'warning', code: 'CacheFileUnusable', message: 'm' }));
  assert.ok(isWorkerToMain({ type: 'unchanged', durationMs: 3, answers: 0 }));
  assert.ok(
    isWorkerToMain({
      type: 'changed',
      durationMs: 3,
      answers: 0,
      prepareMs: 1,
      confirmedAt: 1,
      fromCacheFile: true,
      object: { ...changed, variants: [{ encoding: 'br', body: new SharedArrayBuffer(1), sha256: 'y' }] },
    }),
  );
  assert.ok(isWorkerToMain({ type: 'failed', durationMs: 1, answers: 0, retrying: false, failure: { code: 'NoSuchKey', message: 'm', httpStatus: 404 } }));
});

test('malformed messages are rejected', () => {
  for (const message of [
    null,
    'changed',
    { type: 'unchanged' },
    { type: 'changed', durationMs: 1, answers: 0, prepareMs: 1, confirmedAt: 1, fromCacheFile: false, object: { body: 'bytes' } },
    { type: 'changed', durationMs: 1, answers: 0, prepareMs: 1, confirmedAt: 1, fromCacheFile: false, object: { body: new ArrayBuffer(1) } },
    { type: 'changed', durationMs: 1, answers: 0, prepareMs: 1, confirmedAt: 1, fromCacheFile: false, object: { ...changed, sha256: undefined } },
    { type: 'changed', durationMs: 1, answers: 0, prepareMs: 1, confirmedAt: 1, fromCacheFile: false, object: { ...changed, lastModifiedStrong: undefined } },
    { type: 'changed', durationMs: 1, answers: 0, prepareMs: 1, confirmedAt: 1, fromCacheFile: false, object: { ...changed, variants: [{ encoding: 'zstd', body: new SharedArrayBuffer(1), sha256: 'y' }] } },
    { type: 'failed', durationMs: 1, answers: 0, retrying: false, failure: { code: 1, message: 'm' } },
    { type: 'failed', durationMs: 1, answers: 0, failure: { code: 'X', message: 'm' } },
    { type: 'unchanged', durationMs: 1 },
    { type: 'warning', code: 'X' },
    { type: 'other', durationMs: 1 },
  ]) {
    assert.not.ok(isWorkerToMain(message), JSON.stringify(message));
  }
});

test.run();
