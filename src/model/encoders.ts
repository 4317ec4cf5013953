import * as tf from '@tensorflow/tfjs';
import { TOP_GRID } from './presets.js';
import type { Encoded, VQVAE2 } from './vqvae.js';

/**
 * The original's clip embeddings (boiler/encoder.py), computed from a batch of log-mels
 * [N, 80, 256]; each returns N rows of its size, row-major.
 *
 * - BagTopVQVAE: L2-normalised histogram of the 23 top codes (size nEmbedTop, 64) — the one the
 *   original indexes with;
 * - BagBottomVQVAE: L2-normalised histogram of the 19×63 bottom codes (size nEmbedBottom, 512);
 * - MeanFreqTopVQVAE: quant_t averaged over the mel axis and flattened channel-major (embedDim × 23).
 */

export type EncoderName = 'BagTopVQVAE' | 'BagBottomVQVAE' | 'MeanFreqTopVQVAE';
export const ENCODER_NAMES: readonly EncoderName[] = ['BagTopVQVAE', 'BagBottomVQVAE', 'MeanFreqTopVQVAE'];

/** F.normalize's floor on the norm: an all-zero row stays zero instead of becoming NaN. */
const NORM_EPSILON = 1e-12;

/** Per clip, the L2-normalised count of each code among `ids` (clips × codesPerClip, any layout within a clip). */
export function bagOfCodes(ids: ArrayLike<number>, clips: number, nCodes: number): Float32Array {
  const perClip = ids.length / clips;
  const bags = new Float32Array(clips * nCodes);
  for (let c = 0; c < clips; c++) {
    const bag = bags.subarray(c * nCodes, (c + 1) * nCodes);
    for (let i = 0; i < perClip; i++) bag[ids[c * perClip + i]]++;
    let norm = 0;
    for (const v of bag) norm += v * v;
    const scale = 1 / Math.max(Math.sqrt(norm), NORM_EPSILON);
    for (let k = 0; k < nCodes; k++) bag[k] *= scale;
  }
  return bags;
}

/** quant_t [N, mel, time, dim] (NHWC) averaged over mel → [N, dim·time], flattened as the original's NCHW view. */
export function meanOverMel(quantT: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const [n, , time, dim] = quantT.shape;
    return tf.reshape(tf.transpose(tf.mean(quantT, 1), [0, 2, 1]), [n, dim * time]);
  });
}

/** Runs the encoder half once and frees its outputs after `use` has read what it needs. */
function fromEncoding(model: VQVAE2, mel: tf.Tensor3D, use: (encoded: Encoded) => Float32Array): Float32Array {
  const encoded = model.encode(mel);
  try {
    return use(encoded);
  } finally {
    tf.dispose(Object.values(encoded));
  }
}

export function bagTop(model: VQVAE2, mel: tf.Tensor3D): Float32Array {
  return fromEncoding(model, mel, ({ idT }) => bagOfCodes(idT.dataSync(), mel.shape[0], model.config.nEmbedTop));
}

export function bagBottom(model: VQVAE2, mel: tf.Tensor3D): Float32Array {
  return fromEncoding(model, mel, ({ idB }) => bagOfCodes(idB.dataSync(), mel.shape[0], model.config.nEmbedBottom));
}

export function meanFreqTop(model: VQVAE2, mel: tf.Tensor3D): Float32Array {
  return fromEncoding(model, mel, ({ quantT }) => tf.tidy(() => meanOverMel(quantT).dataSync() as Float32Array));
}

export const ENCODERS: Record<EncoderName, (model: VQVAE2, mel: tf.Tensor3D) => Float32Array> = {
  BagTopVQVAE: bagTop,
  BagBottomVQVAE: bagBottom,
  MeanFreqTopVQVAE: meanFreqTop,
};

/** Length of one clip's embedding. */
export function embeddingSize(model: VQVAE2, encoder: EncoderName): number {
  const { nEmbedTop, nEmbedBottom, embedDim } = model.config;
  return { BagTopVQVAE: nEmbedTop, BagBottomVQVAE: nEmbedBottom, MeanFreqTopVQVAE: embedDim * TOP_GRID.time }[encoder];
}
