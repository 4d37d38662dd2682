// The checks of what the fetch worker posts: a malformed message is a fault, never guessed at.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isWorkerToMain } from '../../src/protocol.ts';
import { fetchedObject } from '../helpers/fetched-object.ts';

const object = fetchedObject('a', { lastModified: undefined });
const report = { durationMs: 3, answers: 1, listPages: 1, prepareMs: 1, confirmedAt: 1, fromCacheFile: false };
const changed = (changes: unknown, removed: unknown = [], extra: Record<string, unknown> = {}) => ({ type: 'changed', snapshotId: 'abc', ...report, changes, removed, ...extra });

test('well-formed worker messages are accepted', () => {
  assert.ok(isWorkerToMain(changed([{ path: '', object }])));
  assert.ok(isWorkerToMain(changed([{ path: 'a', object }], ['b'], { fromCacheFile: true })));
  assert.ok(isWorkerToMain(changed([{ path: '', object: { ...object, variants: [{ encoding: 'br', body: new SharedArrayBuffer(1), sha256: 'y' }] } }])));
  assert.ok(isWorkerToMain({ type: 'warning', code: 'CacheFileUnusable', message: 'm' }));
  assert.ok(isWorkerToMain({ type: 'unchanged', durationMs: 3, answers: 0, listPages: 0 }));
  assert.ok(isWorkerToMain({ type: 'failed', durationMs: 1, answers: 0, retrying: false, failure: { code: 'NoSuchKey', message: 'm', httpStatus: 404 } }));
});

test('malformed messages are rejected', () => {
  for (const message of [
    null,
    'changed',
    { type: 'unchanged' },
    { type: 'unchanged', durationMs: 1, answers: 0 },
    { type: 'unchanged', durationMs: 1, answers: 0, listPages: 'two' },
    changed([{ path: '', object: { body: 'bytes' } }]),
    changed([{ path: '', object: { ...object, body: new ArrayBuffer(1) } }]),
    changed([{ path: '', object: { ...object, sha256: undefined } }]),
    changed([{ path: '', object: { ...object, lastModifiedStrong: undefined } }]),
    changed([{ path: '', object: { ...object, variants: [{ encoding: 'zstd', body: new SharedArrayBuffer(1), sha256: 'y' }] } }]),
    changed([{ path: 1, object }]),
    changed([], [7]),
    changed([], [], { listPages: -1 }),
    changed({ path: '', object }),
    changed([], [], { snapshotId: 7 }),
    { type: 'snapshot', ...report, changes: [], removed: [] },
    { type: 'failed', durationMs: 1, answers: 0, retrying: false, failure: { code: 1, message: 'm' } },
    { type: 'failed', durationMs: 1, answers: 0, failure: { code: 'X', message: 'm' } },
    { type: 'warning', code: 'X' },
    { type: 'other', durationMs: 1 },
  ]) {
    assert.not.ok(isWorkerToMain(message), JSON.stringify(message));
  }
});

test.run();
