import { copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { convertDirectory } from '../../src/audio/convert-directory.js';
import { buildModelDir } from '../../src/search/build-model-dir.js';
import { TINY_REFERENCE } from '../model/reference.js';
import { FIXTURES } from './cli.js';

/**
 * The original's weights (tiny preset, 5 steps on the reference clips), committed with the tests:
 * a real encoder in every checkout. Its top codebook is collapsed (every clip gets one top code).
 */
export const REFERENCE_CHECKPOINT = join(TINY_REFERENCE.dir, 'vqvae_reference.safetensors');

/** fixtures/media converted by boiler convert into `dir/wav` (12 clips: tone, noise, beat, sweep). */
export async function fixtureWavs(dir: string): Promise<string> {
  const wavDir = join(dir, 'wav');
  const summary = await convertDirectory({ input: join(FIXTURES, 'media'), output: wavDir });
  if (summary.failed.length) throw new Error(`fixtures did not convert: ${JSON.stringify(summary.failed)}`);
  return wavDir;
}

/** `dir/save/vqvae_001.safetensors`, a link to the reference checkpoint, so the model directory lands in `dir`. */
export function referenceCheckpointIn(dir: string): string {
  mkdirSync(join(dir, 'save'), { recursive: true });
  const path = join(dir, 'save', 'vqvae_001.safetensors');
  symlinkSync(REFERENCE_CHECKPOINT, path);
  return path;
}

/** Copies `wav` into `dir` under `count` names `prefix0000.wav`…, for runs long enough to interrupt. */
export function copiesOf(wav: string, dir: string, count: number, prefix: string): string[] {
  mkdirSync(dir, { recursive: true });
  return Array.from({ length: count }, (_, i) => {
    const name = `${prefix}${String(i).padStart(4, '0')}.wav`;
    copyFileSync(wav, join(dir, name));
    return name;
  });
}

/**
 * The encoder of referenceModelDir: the bottom codes, since the reference checkpoint gives every clip
 * the same top code (so BagTop would make all clips one point).
 */
export const REFERENCE_ENCODER = 'BagBottomVQVAE';
/** The length of its embeddings (the bottom codebook's size). */
export const REFERENCE_DIMENSION = 512;

/** A REFERENCE_ENCODER model directory under `dir`: the fixtures indexed with the reference checkpoint. */
export async function referenceModelDir(dir: string): Promise<string> {
  const built = await buildModelDir({
    wavDir: await fixtureWavs(dir),
    checkpoint: referenceCheckpointIn(dir),
    encoder: REFERENCE_ENCODER,
    parameters: { m: 16, efConstruction: 200, batchSize: 32 },
  });
  return built.modelDir;
}
