import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lastModifiedIsStrong, type DatedVersion } from '../../../src/worker/last-modified.ts';

const second = 'Fri, 27 Nov 2026 10:00:00 GMT';
const version = (lastModified: string | undefined, sha256: string, lastModifiedStrong = true): DatedVersion => ({
  lastModified,
  sha256,
  lastModifiedStrong,
});

test('the first version, and one whose date differs from the version before, have a strong date', () => {
  assert.ok(lastModifiedIsStrong(undefined, second, 'a'));
  assert.ok(lastModifiedIsStrong(version(second, 'a'), 'Fri, 27 Nov 2026 10:00:01 GMT', 'b'));
  assert.ok(lastModifiedIsStrong(version(undefined, 'a'), second, 'b'));
  assert.ok(lastModifiedIsStrong(version(second, 'a', false), 'Fri, 27 Nov 2026 10:00:01 GMT', 'b'), 'a later second is strong again');
});

test('two versions within one second: the date is weak, and stays weak for every later version that has it', () => {
  assert.not.ok(lastModifiedIsStrong(version(second, 'a'), second, 'b'));
  assert.not.ok(lastModifiedIsStrong(version(second, 'b', false), second, 'c'));
  assert.not.ok(lastModifiedIsStrong(version(second, 'b', false), second, 'b'), 'weak once seen twice');
  // The same instant written another way (the store's raw form, ISO 8601) is the same second.
  assert.not.ok(lastModifiedIsStrong(version('2026-11-27T10:00:00.000Z', 'a'), second, 'b'));
});

test('the same bytes again under the same date are one representation: still strong', () => {
  assert.ok(lastModifiedIsStrong(version(second, 'a'), second, 'a'));
});

test('no date: nothing to weaken', () => {
  assert.ok(lastModifiedIsStrong(version(second, 'a'), undefined, 'b'));
});

test.run();
