import * as tf from '@tensorflow/tfjs';
import { BOTTOM_GRID, FIRST_LAYER_GRID, TOP_GRID } from './vqvae2.js';
import type { BottomActivations, Encoded, VQVAE2 } from './vqvae.js';

/**
 * The original's clip embeddings (boiler/encoder.py), computed from a batch of log-mels
 * [N, 80, 256]; each returns N rows of its size, row-major.
 *
 * - BagTopVQVAE: L2-normalised histogram of the 23 top codes (size nEmbedTop, 64) — the one the
 *   original indexes with;
 * - BagBottomVQVAE: L2-normalised histogram of the 19×63 bottom codes (size nEmbedBottom, 512);
 * - MeanFreqTopVQVAE: quant_t averaged over the mel axis and flattened channel-major (embedDim × 23).
 *
 * and boiler's own, which summarise continuous activations of the bottom encoder instead of codes
 * (codes say little once a codebook has collapsed), per mel row, by their mean and standard
 * deviation over the clip's frames:
 *
 * - PooledFirstLayerVQVAE: of enc_b's first convolution (38 rows × C/2 channels × 2);
 * - PooledBottomVQVAE: of enc_b's output, the continuous bottom latent (19 rows × C channels × 2).
 */

/** The original's embeddings, as boiler/encoder.py computed them (parity with ../shared/reference holds for these). */
export const ORIGINAL_ENCODERS = ['BagTopVQVAE', 'BagBottomVQVAE', 'MeanFreqTopVQVAE'] as const;
export const POOLED_ENCODERS = ['PooledFirstLayerVQVAE', 'PooledBottomVQVAE'] as const;
export type OriginalEncoderName = (typeof ORIGINAL_ENCODERS)[number];
export type EncoderName = OriginalEncoderName | (typeof POOLED_ENCODERS)[number];
export const ENCODER_NAMES: readonly EncoderName[] = [...ORIGINAL_ENCODERS, ...POOLED_ENCODERS];
/** The training-free encoder: MFCC statistics, no checkpoint (src/model/onnx/mfcc-graph.ts). */
export const MFCC_ENCODER = 'mfcc';
/**
 * What `boiler index` embeds with when no encoder is named: chosen by precision@10 on labelled
 * speech and drum sets (README, `npm run bench quality`), where it came closest to MFCC.
 */
export const DEFAULT_ENCODER: EncoderName = 'PooledFirstLayerVQVAE';

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

/**
 * Per mel row and channel, the mean and then the (population) standard deviation over time of an
 * NHWC activation [N, H, W, C] → [N, 2·H·C]: the H·C means (row-major: row, then channel), then the stds.
 */
export function poolOverTime(x: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const [n] = x.shape;
    const { mean, variance } = tf.moments(x, 2);
    return tf.concat([tf.reshape(mean, [n, -1]), tf.reshape(tf.sqrt(variance), [n, -1])], 1) as tf.Tensor2D;
  });
}

function pooledActivations(model: VQVAE2, mel: tf.Tensor3D, layer: keyof BottomActivations): Float32Array {
  const activations = model.bottomActivations(mel);
  try {
    return tf.tidy(() => poolOverTime(activations[layer]).dataSync() as Float32Array);
  } finally {
    tf.dispose([activations.firstLayer, activations.bottom]);
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

/** Each encoder's embedding computed with TensorFlow.js (encoder.onnx computes the same in ONNX). */
export const TFJS_EMBEDDINGS: Record<EncoderName, (model: VQVAE2, mel: tf.Tensor3D) => Float32Array> = {
  BagTopVQVAE: bagTop,
  BagBottomVQVAE: bagBottom,
  MeanFreqTopVQVAE: meanFreqTop,
  PooledFirstLayerVQVAE: (model, mel) => pooledActivations(model, mel, 'firstLayer'),
  PooledBottomVQVAE: (model, mel) => pooledActivations(model, mel, 'bottom'),
};

/** Length of one clip's embedding. */
export function embeddingSize(model: VQVAE2, encoder: EncoderName): number {
  const { nEmbedTop, nEmbedBottom, embedDim, channel } = model.config;
  return {
    BagTopVQVAE: nEmbedTop,
    BagBottomVQVAE: nEmbedBottom,
    MeanFreqTopVQVAE: embedDim * TOP_GRID.time,
    PooledFirstLayerVQVAE: 2 * FIRST_LAYER_GRID.mel * (channel / 2),
    PooledBottomVQVAE: 2 * BOTTOM_GRID.mel * channel,
  }[encoder];
}
