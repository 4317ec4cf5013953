import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { modelDirVariable, type Environment } from '../env.js';
import { UserError } from '../errors.js';
import { ENCODER_NAMES } from '../model/encoders.js';
import { MFCC_ENCODER } from '../model/encoders.js';
import { shellWord } from './shell-word.js';
import { MODEL_FILES, type ModelFile } from './types.js';

// Re-exported where the library's entry point and earlier users import them from.
export { MODEL_FILES, type ModelFile };

export function modelFile(dir: string, file: ModelFile): string {
  return join(dir, MODEL_FILES[file]);
}

/** `SAVE/vqvae_NNN.safetensors` + `BagTopVQVAE` → `SAVE/vqvae_NNN/BagTopVQVAE`. */
export function modelDirFor(checkpoint: string, encoder: string): string {
  const stem = basename(checkpoint, extname(checkpoint));
  return join(dirname(resolve(checkpoint)), stem, encoder);
}

/** The mfcc encoder's model directory, which has no checkpoint to sit beside: `PARENT/wav` → `PARENT/wav-mfcc`. */
export function mfccModelDirFor(wavDir: string): string {
  const wavs = resolve(wavDir);
  return join(dirname(wavs), `${basename(wavs)}-mfcc`);
}

/** `--model-dir`, else BOILER_MODEL_DIR (the original's variable), checked to hold an index. */
export function resolveModelDir(flag: string | undefined, env?: Environment): string {
  const dir = flag ?? modelDirVariable(env);
  if (!dir) throw new UserError('no model directory: pass --model-dir DIR or set BOILER_MODEL_DIR (boiler index prints it)');
  const from = flag ? '--model-dir' : 'BOILER_MODEL_DIR';
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UserError(`model directory ${dir} (from ${from}) does not exist: run boiler index first`);
  }
  if (!existsSync(modelFile(dir, 'manifest'))) {
    throw new UserError(`${dir} (from ${from}) is not a model directory (no ${MODEL_FILES.manifest}): ${missingManifestAdvice(dir)}`);
  }
  return dir;
}

/** Whether `dir` holds any model-directory file but the manifest: a model directory that lost its manifest. */
export function holdsModelFiles(dir: string): boolean {
  return (Object.keys(MODEL_FILES) as ModelFile[]).some((file) => file !== 'manifest' && existsSync(modelFile(dir, file)));
}

/**
 * What to tell a user whose directory has no manifest: the `boiler index` that makes it again,
 * as far as its path (`SAVE/vqvae_NNN/ENCODER` beside `SAVE/vqvae_NNN.safetensors`, or `WAVS-mfcc`)
 * and its files show it was a model directory.
 */
export function missingManifestAdvice(dir: string): string {
  const path = resolve(dir);
  const encoder = basename(path);
  const checkpoint = `${dirname(path)}.safetensors`;
  const besideCheckpoint = (ENCODER_NAMES as readonly string[]).includes(encoder) && existsSync(checkpoint);
  if (!besideCheckpoint && !holdsModelFiles(dir)) return 'run boiler index to make one';
  if (besideCheckpoint) return `run boiler index --wav-dir WAVS --checkpoint ${shellWord(checkpoint)} ${encoder} (with the --wav-dir it was made from)`;
  if (encoder.endsWith(`-${MFCC_ENCODER}`)) return `run boiler index --wav-dir ${shellWord(path.slice(0, -MFCC_ENCODER.length - 1))} ${MFCC_ENCODER} to make it again`;
  return 'run boiler index --wav-dir WAVS --checkpoint SAVE/vqvae_NNN.safetensors ENCODER (with the --wav-dir, checkpoint and encoder it was made from) to make it again';
}
