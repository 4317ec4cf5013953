import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { writeFileAtomic } from '../atomic-file.js';
import { CLIP_SAMPLES, SAMPLE_RATE, fitClip } from '../audio/clip.js';
import { seededRandom } from '../util/random.js';

/**
 * A deterministic clip with some structure for the encoder to chew on: a few tones that change
 * every half second over noise, as `loadClip` would return it (2**17 samples, divided by the max).
 */
export function syntheticClip(seed: number): Float32Array {
  const random = seededRandom(seed);
  const samples = new Float32Array(CLIP_SAMPLES);
  const segment = SAMPLE_RATE / 2;
  let frequencies: number[] = [];
  for (let i = 0; i < CLIP_SAMPLES; i++) {
    if (i % segment === 0) frequencies = [0, 1, 2].map(() => 100 + random() * 3000);
    let sum = 0.2 * (random() - 0.5);
    for (const f of frequencies) sum += Math.sin((2 * Math.PI * f * i) / SAMPLE_RATE) / 3;
    samples[i] = sum;
  }
  return fitClip(samples);
}

/** `count` synthetic clips concatenated, as the encoders take them. */
export function syntheticBatch(count: number, seed = 0): Float32Array {
  const out = new Float32Array(count * CLIP_SAMPLES);
  for (let i = 0; i < count; i++) out.set(syntheticClip(seed + i), i * CLIP_SAMPLES);
  return out;
}

/** Writes `count` synthetic clips as 16 kHz mono 16-bit wavs `clip-000.wav`… into `dir`; returns `dir`. */
export function writeSyntheticWavs(dir: string, count: number, seed = 0): string {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const clip = syntheticClip(seed + i);
    const wav = new wavefile.WaveFile();
    wav.fromScratch(1, SAMPLE_RATE, '16', Int16Array.from(clip, (v) => Math.round(v * 0.9 * 32767)));
    writeFileAtomic(join(dir, `clip-${String(i).padStart(3, '0')}.wav`), wav.toBuffer());
  }
  return dir;
}
