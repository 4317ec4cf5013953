import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dctBasis, mfccStatistics, MFCC_COEFFICIENTS, standardise } from '../src/eval/mfcc.js';
import { averagePrecisionAtK, precisionAtK, scoreRetrieval } from '../src/eval/metrics.js';
import { randomEmbeddings } from '../src/eval/baselines.js';

const T = true;
const F = false;

function near(actual: number, expected: number, message = '', tolerance = 1e-9): void {
  assert.ok(Math.abs(actual - expected) < tolerance, `${message} expected ${expected}, got ${actual}`);
}

test('precision@k counts the relevant neighbours among the first k and divides by k', () => {
  near(precisionAtK([T, F, T, F], 4), 0.5);
  near(precisionAtK([T, F, T, F], 2), 0.5);
  near(precisionAtK([F, F, T], 2), 0);
  // Fewer neighbours than k (a small index): the missing ones are misses.
  near(precisionAtK([T], 4), 0.25);
});

test('AP@k averages precision at each hit over min(k, relevant clips)', () => {
  // Hits at ranks 1 and 3 of 2 relevant: (1/1 + 2/3) / 2.
  near(averagePrecisionAtK([T, F, T, F], 4, 2), (1 + 2 / 3) / 2);
  // 5 relevant, k = 4, hits at 2, 3, 4: (1/2 + 2/3 + 3/4) / 4.
  near(averagePrecisionAtK([F, T, T, T], 4, 5), (1 / 2 + 2 / 3 + 3 / 4) / 4);
  // The single relevant clip at rank 3.
  near(averagePrecisionAtK([F, F, T], 3, 1), 1 / 3);
  // All of the best min(k, R) first is a perfect score, whatever follows.
  near(averagePrecisionAtK([T, T, F, F], 4, 2), 1);
  near(averagePrecisionAtK([F, F, F], 3, 2), 0);
  // Hits past k do not count.
  near(averagePrecisionAtK([F, F, T], 2, 1), 0);
  assert.throws(() => averagePrecisionAtK([T], 1, 0), RangeError);
});

test('scoreRetrieval on hand-made neighbour lists: shared labels are hits, unlabelled and single-label clips are no queries', () => {
  // 0 {a}, 1 {a}, 2 {b}, 3 {a, b}, 4 unlabelled, 5 {c} (no other clip has c).
  const labels = [new Set(['a']), new Set(['a']), new Set(['b']), new Set(['a', 'b']), undefined, new Set(['c'])];
  const lists: Record<number, number[]> = { 0: [4, 1, 3], 1: [3, 0, 2], 2: [0, 3, 1], 3: [2, 5, 0] };
  const asked: number[] = [];
  const scores = scoreRetrieval(labels, 2, (query) => {
    asked.push(query);
    return lists[query];
  });
  assert.deepEqual(asked, [0, 1, 2, 3], 'clip 4 (unlabelled) and clip 5 (nothing to find) are not queried');
  assert.equal(scores.queries, 4);
  assert.equal(scores.k, 2);
  // By hand, with k = 2:
  //   0: [4 ✗, 1 ✓]  R = 2 (1, 3)     P = 1/2  AP = (1/2) / 2 = 1/4
  //   1: [3 ✓, 0 ✓]  R = 2 (0, 3)     P = 1    AP = (1 + 1) / 2 = 1
  //   2: [0 ✗, 3 ✓]  R = 1 (3)        P = 1/2  AP = (1/2) / 1 = 1/2
  //   3: [2 ✓, 5 ✗]  R = 3 (0, 1, 2)  P = 1/2  AP = 1 / 2 = 1/2
  near(scores.precisionAtK, (0.5 + 1 + 0.5 + 0.5) / 4);
  near(scores.meanAveragePrecision, (0.25 + 1 + 0.5 + 0.5) / 4);
  // Per label, a hit is a neighbour with that label: a over queries 0, 1, 3 → (1/2 + 1 + 0) / 3; b over 2, 3 → (1/2 + 1/2) / 2.
  assert.deepEqual(Object.keys(scores.perLabel), ['a', 'b', 'c']);
  near(scores.perLabel.a.precisionAtK!, 0.5);
  assert.equal(scores.perLabel.a.support, 3);
  near(scores.perLabel.b.precisionAtK!, 0.5);
  assert.equal(scores.perLabel.b.support, 2);
  assert.deepEqual(scores.perLabel.c, { precisionAtK: null, support: 1 });
});

test('scoreRetrieval of perfect and of worst neighbour lists', () => {
  const names = ['x', 'x', 'x', 'y', 'y', 'y'];
  const labels = names.map((label) => new Set([label]));
  const sameFirst = (query: number) => {
    const others = [0, 1, 2, 3, 4, 5].filter((c) => c !== query);
    return [...others.filter((c) => names[c] === names[query]), ...others.filter((c) => names[c] !== names[query])];
  };
  const perfect = scoreRetrieval(labels, 2, sameFirst);
  near(perfect.precisionAtK, 1);
  near(perfect.meanAveragePrecision, 1);
  const worst = scoreRetrieval(labels, 2, (query) => sameFirst(query).reverse());
  near(worst.precisionAtK, 0);
  near(worst.meanAveragePrecision, 0);
  // k = 4 with only 2 relevant clips: precision is capped at 1/2, AP is still perfect.
  const wide = scoreRetrieval(labels, 4, sameFirst);
  near(wide.precisionAtK, 0.5);
  near(wide.meanAveragePrecision, 1);
});

test('the DCT-II basis is orthonormal, and a constant spectrum has only the first coefficient', () => {
  const size = 80;
  const basis = dctBasis(size, size);
  for (const [i, j] of [[0, 0], [1, 1], [19, 19], [0, 1], [3, 7], [12, 79]]) {
    let dot = 0;
    for (let n = 0; n < size; n++) dot += basis[i * size + n] * basis[j * size + n];
    near(dot, i === j ? 1 : 0, `row ${i} · row ${j}`);
  }
  // Constant c: coefficient 0 is c·√N, the others 0.
  const coefficients = Array.from({ length: 20 }, (_, k) => basis.subarray(k * size, (k + 1) * size).reduce((sum, w) => sum + w * 2, 0));
  near(coefficients[0], 2 * Math.sqrt(size));
  for (const c of coefficients.slice(1)) near(c, 0);
});

test('MFCC statistics: mean and standard deviation of each coefficient over frames', () => {
  const frames = 4;
  // Every band is 1 in frames 0 and 2 and 3 in frames 1 and 3: coefficient 0 is √80 or 3√80.
  const logMel = new Float32Array(80 * frames);
  for (let m = 0; m < 80; m++) for (let t = 0; t < frames; t++) logMel[m * frames + t] = t % 2 ? 3 : 1;
  const stats = mfccStatistics(logMel, frames);
  assert.equal(stats.length, 2 * MFCC_COEFFICIENTS);
  assert.ok(Math.abs(stats[0] - 2 * Math.sqrt(80)) < 1e-4, `mean of c0: ${stats[0]}`);
  assert.ok(Math.abs(stats[MFCC_COEFFICIENTS] - Math.sqrt(80)) < 1e-4, `std of c0: ${stats[MFCC_COEFFICIENTS]}`);
  for (let k = 1; k < MFCC_COEFFICIENTS; k++) {
    assert.ok(Math.abs(stats[k]) < 1e-4 && Math.abs(stats[MFCC_COEFFICIENTS + k]) < 1e-4, `coefficient ${k}`);
  }
  assert.throws(() => mfccStatistics(new Float32Array(10), frames), RangeError);
});

test('standardise gives each dimension zero mean and unit variance, and a constant dimension zeros', () => {
  const out = standardise([Float32Array.from([1, 5]), Float32Array.from([3, 5]), Float32Array.from([5, 5])]);
  // Column 0: mean 3, population std √(8/3).
  const std = Math.sqrt(8 / 3);
  assert.deepEqual(out.map((v) => Array.from(v)), [[Math.fround(-2 / std), 0], [0, 0], [Math.fround(2 / std), 0]]);
});

test('random embeddings are unit vectors, the same for the same seed', () => {
  const a = randomEmbeddings(5, 64, 7);
  assert.equal(a.length, 5);
  for (const v of a) near(Math.hypot(...v), 1, 'norm', 1e-6);
  assert.deepEqual(randomEmbeddings(5, 64, 7), a);
  assert.notDeepEqual(randomEmbeddings(5, 64, 8), a);
});
