/**
 * The classical baseline embedding: MFCCs from boiler's own mel frontend (the log-mel the model
 * sees), summarised per clip by each coefficient's mean and standard deviation over frames.
 */
import { logMel, MEL } from '../audio/mel.js';
import { embeddingStatistics, standardiseVector } from '../search/standardise.js';

/** Coefficients kept per frame: the 20 lowest, as librosa.feature.mfcc's default. */
export const MFCC_COEFFICIENTS = 20;

/** The DCT-II with orthonormal scaling (scipy's `norm='ortho'`), `coefficients × size`, row-major. */
export function dctBasis(coefficients: number, size: number): Float64Array {
  const basis = new Float64Array(coefficients * size);
  for (let k = 0; k < coefficients; k++) {
    const scale = Math.sqrt((k === 0 ? 1 : 2) / size);
    for (let n = 0; n < size; n++) basis[k * size + n] = scale * Math.cos((Math.PI * k * (2 * n + 1)) / (2 * size));
  }
  return basis;
}

let basis: Float64Array | undefined;

/**
 * One clip's MFCC statistics from its log-mel (`MEL.nMels × frames`, mel-major as logMel returns
 * it): the DCT-II over mel bands at every frame, then the mean of each coefficient over frames,
 * followed by its (population) standard deviation. 2 × MFCC_COEFFICIENTS numbers.
 */
export function mfccStatistics(logMel: Float32Array, frames: number): Float32Array {
  const bands = MEL.nMels;
  if (logMel.length !== bands * frames) throw new RangeError(`expected ${bands} × ${frames} log-mel values, got ${logMel.length}`);
  basis ??= dctBasis(MFCC_COEFFICIENTS, bands);
  const out = new Float32Array(2 * MFCC_COEFFICIENTS);
  const coefficient = new Float64Array(frames);
  for (let k = 0; k < MFCC_COEFFICIENTS; k++) {
    coefficient.fill(0);
    for (let m = 0; m < bands; m++) {
      const weight = basis[k * bands + m];
      const row = m * frames;
      for (let t = 0; t < frames; t++) coefficient[t] += weight * logMel[row + t];
    }
    let mean = 0;
    for (const c of coefficient) mean += c;
    mean /= frames;
    let variance = 0;
    for (const c of coefficient) variance += (c - mean) ** 2;
    out[k] = mean;
    out[MFCC_COEFFICIENTS + k] = Math.sqrt(variance / frames);
  }
  return out;
}

/** The MFCC statistics of `count` clips of 2**17 loader floats each: `count` rows of 2 × MFCC_COEFFICIENTS. */
export function mfccOfClips(wavs: Float32Array, count: number): Float32Array {
  const mels = logMel(wavs, count);
  const size = MEL.nMels * MEL.frames;
  const out = new Float32Array(count * 2 * MFCC_COEFFICIENTS);
  for (let c = 0; c < count; c++) out.set(mfccStatistics(mels.subarray(c * size, (c + 1) * size), MEL.frames), c * 2 * MFCC_COEFFICIENTS);
  return out;
}

/**
 * Standardises each dimension to zero mean and unit variance over the clips (a dimension that is
 * constant becomes 0), as model directories of pooled encoders are. Without this the first
 * coefficient's mean, the loudness, is orders of magnitude larger than the rest and would decide
 * every cosine alone.
 */
export function standardise(vectors: readonly Float32Array[]): Float32Array[] {
  const statistics = embeddingStatistics(vectors);
  return vectors.map((v) => standardiseVector(v, statistics));
}
