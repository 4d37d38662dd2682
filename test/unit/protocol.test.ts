import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isWorkerToMain } from '../../src/protocol.ts';

const changed = {
  body: new ArrayBuffer(1),
  sha256: 'x',
  variants: [],
  etag: '"a"',
  lastModified: undefined,
  contentType: 'text/plain',
  integrity: 'md5',
};

test('well-formed worker messages are accepted', () => {
  assert.ok(isWorkerToMain({ type: 'changed', durationMs: 3, prepareMs: 1, object: changed }));
  assert.ok(isWorkerToMain({ type: 'unchanged', durationMs: 3 }));
  assert.ok(
    isWorkerToMain({
      type: 'changed',
      durationMs: 3,
      prepareMs: 1,
      object: { ...changed, variants: [{ encoding: 'br', body: new ArrayBuffer(1), sha256: 'y' }] },
    }),
  );
  assert.ok(isWorkerToMain({ type: 'failed', durationMs: 1, failure: { code: 'NoSuchKey', message: 'm', httpStatus: 404 } }));
});

test('malformed messages are rejected', () => {
  for (const message of [
    null,
    'changed',
    { type: 'unchanged' },
    { type: 'changed', durationMs: 1, object: { body: 'bytes' } },
    { type: 'changed', durationMs: 1, object: { body: new Uint8Array(1) } },
    { type: 'changed', durationMs: 1, object: { ...changed, sha256: undefined } },
    { type: 'changed', durationMs: 1, object: { ...changed, variants: [{ encoding: 'zstd', body: new ArrayBuffer(1), sha256: 'y' }] } },
    { type: 'failed', durationMs: 1, failure: { code: 1, message: 'm' } },
    { type: 'other', durationMs: 1 },
  ]) {
    assert.not.ok(isWorkerToMain(message), JSON.stringify(message));
  }
});

test.run();
