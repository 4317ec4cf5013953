import assert from 'node:assert/strict';
import { test } from 'node:test';
import { binValues } from '../src/audio/stats.js';
import { renderBox, renderHistogram } from '../src/cli/histogram.js';

test('bars reach the rows whose label they reach, with an axis labelled at both ends', () => {
  assert.deepEqual(renderHistogram([1, 3, 0, 2], { mark: '#', axis: ['0 s', '9 s'] }), [
    ' 3|  #',
    ' 2|  # #',
    ' 1| ## #',
    '  +-----',
    '    0 s 9 s',
  ]);
});

test("row labels run from the largest count down to 1 in at most 20 rows, as bashplotlib's (the seed README's chart)", () => {
  const rows = renderHistogram([1, 298, 595, 5644]);
  const labels = rows.map((r) => Number(r.split('|')[0]));
  assert.equal(labels.length, 20);
  assert.deepEqual(labels.slice(0, 3), [5644, 5347, 5050]);
  assert.deepEqual(labels.slice(-3), [595, 298, 1]);
  assert.equal(rows.at(-1), '    1| ████████', 'every non-empty bin reaches the row of 1');
  assert.deepEqual(renderHistogram([0, 0]), []);
});

test('binValues: equal-width bins from min to max, the max in the last bin', () => {
  assert.deepEqual(binValues([0, 1, 2, 3, 4], 2), [
    { from: 0, to: 2, count: 2 },
    { from: 2, to: 4, count: 3 },
  ]);
  assert.deepEqual(binValues([5, 5, 5], 3).map((b) => b.count), [3, 0, 0], 'equal values share the first bin');
  assert.deepEqual(binValues([], 20), []);
});

test('the summary box centres its lines between rules, as the seed README shows', () => {
  assert.deepEqual(renderBox('Summary', ['observations: 9344']), [
    '----------------------------------',
    '|            Summary             |',
    '----------------------------------',
    '|       observations: 9344       |',
    '----------------------------------',
  ]);
});
