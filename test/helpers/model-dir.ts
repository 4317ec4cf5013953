import { copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertDirectory } from '../../src/audio/convert.js';
import { buildModelDir } from '../../src/search/build-model-dir.js';
import { FIXTURES } from './cli.js';

/** The original's weights after 40 steps on the reference clips (paper preset): a real encoder for tests. */
export const REFERENCE_CHECKPOINT = fileURLToPath(new URL('../../../shared/reference/vqvae_reference.safetensors', import.meta.url));

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

/** A BagTop model directory under `dir`: the fixtures indexed with the reference checkpoint. */
export async function referenceModelDir(dir: string): Promise<string> {
  const built = await buildModelDir({
    wavDir: await fixtureWavs(dir),
    checkpoint: referenceCheckpointIn(dir),
    encoder: 'BagTopVQVAE',
    parameters: { m: 16, efConstruction: 200, batchSize: 32 },
  });
  return built.modelDir;
}
