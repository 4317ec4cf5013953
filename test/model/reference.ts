import { join } from 'node:path';
import { readSafetensors, type NamedTensor } from '../../src/model/safetensors.js';

/** The original PyTorch boiler's weights and outputs (../shared/reference, see its README). */
export const REFERENCE = new URL('../../../shared/reference/', import.meta.url).pathname;
export const referenceWeights = () => readSafetensors(join(REFERENCE, 'vqvae_reference.safetensors')).tensors;
export const referenceOutputs = () => readSafetensors(join(REFERENCE, 'expected.safetensors')).tensors;

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
