import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadClip } from '../src/audio/clip.js';
import { MEL, logMel, melBasis } from '../src/audio/mel.js';
import { referenceClip, referenceOutputs } from './model/reference.js';

// The mel and its basis depend only on the clips, which every reference set shares.
const expected = referenceOutputs();

function worstAbsDifference(got: Float32Array, want: Float32Array): number {
  assert.equal(got.length, want.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  return worst;
}

test('melBasis equals librosa filters.mel (Slaney scale and area norm) within 1e-4', () => {
  const want = expected.get('mel_basis')!;
  assert.deepEqual(want.shape, [MEL.nMels, MEL.nFft / 2 + 1]);
  const worst = worstAbsDifference(melBasis(), want.data as Float32Array);
  assert.ok(worst < 1e-4, `max abs difference ${worst}`);
});

// The reference computed its STFT in float32, whose rounding noise is about 1e-7 of a frame's
// energy; in bins 3+ decades below their frame (mel < 1e-3, near the 1e-5 clamp) that noise alone
// moves log10 by up to ~3e-3 (a float32 FFT of ours differs from our float64 one by as much).
// So 1e-4 is required where the reference mel is ≥ 1e-3, and float32-noise size (5e-3) below.
test('logMel of the reference clips equals the original Audio2Mel (1e-4 above 1e-3, float32 noise below)', () => {
  const want = expected.get('mel')!;
  assert.deepEqual(want.shape, [4, MEL.nMels, MEL.frames]);
  const clips = new Float32Array(4 * MEL.samples);
  for (let c = 0; c < 4; c++) clips.set(loadClip(referenceClip(c)), c * MEL.samples);
  const got = logMel(clips, 4);
  const ref = want.data as Float32Array;
  let worstAbove = 0;
  let worstBelow = 0;
  for (let i = 0; i < got.length; i++) {
    const difference = Math.abs(got[i] - ref[i]);
    if (ref[i] >= -3) worstAbove = Math.max(worstAbove, difference);
    else worstBelow = Math.max(worstBelow, difference);
  }
  assert.ok(worstAbove < 1e-4, `max abs difference ${worstAbove} where mel ≥ 1e-3`);
  assert.ok(worstBelow < 5e-3, `max abs difference ${worstBelow} where mel < 1e-3`);
});

test('logMel of silence is log10(1e-5) everywhere, and a wrong length is refused', () => {
  const silent = logMel(new Float32Array(MEL.samples), 1);
  assert.equal(silent.length, MEL.nMels * MEL.frames);
  assert.ok(silent.every((v) => Math.abs(v + 5) < 1e-6));
  assert.throws(() => logMel(new Float32Array(100), 1), /expects 1 × 131072 samples, got 100/);
});
