import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRange } from '../src/server/range.js';

test('one byte range: first-last, first-, and the last N bytes, clamped to the file', () => {
  assert.deepEqual(parseRange('bytes=0-99', 1000), { start: 0, end: 99 });
  assert.deepEqual(parseRange('bytes=500-', 1000), { start: 500, end: 999 });
  assert.deepEqual(parseRange('bytes=-100', 1000), { start: 900, end: 999 });
  assert.deepEqual(parseRange('bytes=-5000', 1000), { start: 0, end: 999 });
  assert.deepEqual(parseRange('bytes=900-5000', 1000), { start: 900, end: 999 });
  assert.deepEqual(parseRange(' bytes=1-1 ', 2), { start: 1, end: 1 });
});

test('a range that starts past the end cannot be satisfied (416)', () => {
  assert.equal(parseRange('bytes=1000-', 1000), 'unsatisfiable');
  assert.equal(parseRange('bytes=-0', 1000), 'unsatisfiable');
  assert.equal(parseRange('bytes=0-', 0), 'unsatisfiable');
});

test('no header, another unit, several ranges or a malformed one: the whole file', () => {
  for (const header of [undefined, 'items=0-1', 'bytes=0-1,5-9', 'bytes=9-1', 'bytes=-', 'bytes=a-b', 'bytes 0-1']) {
    assert.equal(parseRange(header, 1000), undefined, String(header));
  }
});
