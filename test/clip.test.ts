import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import wavefile from 'wavefile';
import { CLIP_SAMPLES, fitClip, loadClip, readWav } from '../src/audio/clip.js';
import { FIXTURES } from './helpers/cli.js';
import { scratchDir } from './helpers/scratch.js';
import { referenceClip, referenceOutputs } from './model/reference.js';

test('loadClip reproduces the original loader on the reference clips (repeat, truncate, divide by max)', () => {
  const expected = referenceOutputs().get('input')!;
  assert.deepEqual(expected.shape, [4, 1, CLIP_SAMPLES]);
  const want = expected.data as Float32Array;
  for (let clip = 0; clip < 4; clip++) {
    const got = loadClip(referenceClip(clip));
    let worst = 0;
    for (let i = 0; i < CLIP_SAMPLES; i++) worst = Math.max(worst, Math.abs(got[i] - want[clip * CLIP_SAMPLES + i]));
    assert.ok(worst < 1e-6, `clip${clip}: max abs difference ${worst}`);
  }
});

test('fitClip repeats a short clip end to end and truncates a long one', () => {
  const short = fitClip(Float32Array.from([0.5, -0.25, 0.25]), 7);
  assert.deepEqual([...short], [1, -0.5, 0.5, 1, -0.5, 0.5, 1]);
  const long = fitClip(Float32Array.from([0.1, 0.2, 0.4, 0.8]), 2);
  assert.deepEqual([...long].map((v) => +v.toFixed(6)), [0.5, 1]);
});

test('a silent, empty or all-negative clip gives finite samples, never NaN or Inf', () => {
  assert.ok(fitClip(new Float32Array(100), 8).every((v) => v === 0), 'silent stays zero');
  assert.ok(fitClip(new Float32Array(0), 8).every((v) => v === 0), 'empty becomes zeros');
  const negative = fitClip(Float32Array.from([-0.5, -0.25]), 4);
  assert.deepEqual([...negative], [-1, -0.5, -1, -0.5], 'divided by the largest magnitude, sign kept');
  const silent = loadClip(join(FIXTURES, 'bad', 'silent.wav'));
  assert.ok(silent.every((v) => v === 0));
});

test('a wav of another rate, channel count or depth is rejected by name, pointing at boiler convert', () => {
  const dir = scratchDir('boiler-clip-');
  const cases: [string, number, number, string][] = [
    ['stereo.wav', 2, 16000, '16'],
    ['rate.wav', 1, 44100, '16'],
    ['float.wav', 1, 16000, '32f'],
  ];
  for (const [name, channels, rate, depth] of cases) {
    const wav = new wavefile.WaveFile();
    wav.fromScratch(channels, rate, depth, new Array(channels === 1 ? 64 : 128).fill(0));
    const path = join(dir, name);
    writeFileSync(path, wav.toBuffer());
    assert.throws(() => readWav(path), new RegExp(`${name} is .*boiler needs 16 kHz mono 16-bit PCM: convert it with boiler convert`));
  }
  const junk = join(dir, 'junk.wav');
  writeFileSync(junk, 'not a wav');
  assert.throws(() => readWav(junk), /junk\.wav is not a readable wav file/);
  assert.throws(() => readWav(join(dir, 'missing.wav')), /cannot read .*missing\.wav: ENOENT/);
});
