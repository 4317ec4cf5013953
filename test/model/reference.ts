import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PresetName } from '../../src/model/vqvae2.js';
import { readSafetensors, type NamedTensor, type TensorMap } from '../../src/model/safetensors.js';

/**
 * Weights, clips and outputs of the original PyTorch boiler for one preset (see the README in
 * `dir`): `vqvae_reference.safetensors`, `clip0.wav`…`clip3.wav` and `expected.safetensors`.
 */
export interface ReferenceSet {
  preset: PresetName;
  dir: string;
  /** False where the files are not there (the paper set lives outside the repository). */
  available: boolean;
  /** The one reason a test that needs this set gives for skipping, or false where it runs. */
  skip: string | false;
}

function referenceSet(preset: PresetName, url: URL): ReferenceSet {
  const dir = fileURLToPath(url);
  const available = existsSync(join(dir, 'expected.safetensors'));
  const skip = available ? false : `${dir.replace(/\/$/, '')} not found: ${preset}-preset parity runs where it exists (CI has it)`;
  return { preset, dir, available, skip };
}

/** The tiny preset's reference, committed under test/data/reference-tiny: present in every checkout. */
export const TINY_REFERENCE = referenceSet('tiny', new URL('../data/reference-tiny/', import.meta.url));
/** The paper preset's reference (40 MB of weights), kept beside the repository in ../shared/reference. */
export const PAPER_REFERENCE = referenceSet('paper', new URL('../../../shared/reference/', import.meta.url));

/** The directory of the reference every checkout has (the tiny preset's). */
export const REFERENCE = TINY_REFERENCE.dir;
export const referenceWeights = (set: ReferenceSet = TINY_REFERENCE): TensorMap => readSafetensors(join(set.dir, 'vqvae_reference.safetensors')).tensors;
export const referenceOutputs = (set: ReferenceSet = TINY_REFERENCE): TensorMap => readSafetensors(join(set.dir, 'expected.safetensors')).tensors;
/** `clip<index>.wav` of a reference set. */
export const referenceClip = (index: number, set: ReferenceSet = TINY_REFERENCE): string => join(set.dir, `clip${index}.wav`);

export function floats(t: NamedTensor | undefined): Float32Array {
  if (!t || t.dtype !== 'F32') throw new Error('expected an F32 reference tensor');
  return t.data as Float32Array;
}

/** ‖got − want‖ / ‖want‖. */
export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) throw new Error(`length ${got.length} ≠ ${want.length}`);
  let difference = 0;
  let norm = 0;
  for (let i = 0; i < want.length; i++) {
    difference += (got[i] - want[i]) ** 2;
    norm += want[i] ** 2;
  }
  return Math.sqrt(difference / norm);
}

/** Smallest cosine similarity between corresponding rows of two row-major matrices of `rows` rows. */
export function worstRowCosine(got: ArrayLike<number>, want: ArrayLike<number>, rows: number): number {
  const size = want.length / rows;
  let worst = 1;
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    let a = 0;
    let b = 0;
    for (let i = r * size; i < (r + 1) * size; i++) {
      dot += got[i] * want[i];
      a += got[i] ** 2;
      b += want[i] ** 2;
    }
    worst = Math.min(worst, dot / Math.sqrt(a * b));
  }
  return worst;
}

/** Fraction of equal entries between our int32 codes and the reference's int64 ones. */
export function agreement(got: ArrayLike<number>, want: NamedTensor | undefined): number {
  if (!want || want.dtype !== 'I64') throw new Error('expected an I64 reference tensor');
  const ref = want.data as BigInt64Array;
  if (ref.length !== got.length) throw new Error(`length ${got.length} ≠ ${ref.length}`);
  let same = 0;
  for (let i = 0; i < ref.length; i++) if (BigInt(got[i]) === ref[i]) same++;
  return same / ref.length;
}
