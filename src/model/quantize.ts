import * as tf from '@tensorflow/tfjs';
import { CODE_SCALE } from './vqvae2.js';

/**
 * The original's normalised vector quantiser (boiler/quantize.py, after pfriesch/VQVAE): inputs
 * and codebook are each rescaled to norm CODE_SCALE·√dim along the embedding axis, every input
 * takes its nearest code by L2 distance, and the output is straight-through.
 */

/** Target norm of inputs and codes: CODE_SCALE·√dim. */
export function targetNorm(dim: number): number {
  return CODE_SCALE * Math.sqrt(dim);
}

/** `x` with its rows (last axis) rescaled to norm `norm`; differentiable, as in the original (no epsilon). */
function rescaleRows(x: tf.Tensor2D, norm: number): tf.Tensor2D {
  return tf.mul(x, tf.div(norm, tf.sqrt(tf.sum(tf.square(x), -1, true))));
}

/** Identity forward, zero gradient: PyTorch's `.detach()`. */
export const stopGradient = tf.customGrad((...inputs) => ({
  value: tf.clone(inputs[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as <T extends tf.Tensor>(x: T) => T;

/**
 * embedding[ids] — rows of [codes, dim] — with the gradient of each code summed in plain JS over
 * the rows that chose it. tf.gather's own gradient needs UnsortedSegmentSum, which wasm lacks, and
 * a one-hot matmul would build a [rows, codes] matrix (300 MB for a batch of 128 at 512 codes).
 */
function lookup(ids: tf.Tensor1D, embedding: tf.Tensor2D): tf.Tensor2D {
  const select = tf.customGrad((...args) => {
    const [codes, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    // Saved, not closed over: the forward pass's tidy would dispose it before the backward pass.
    save([ids]);
    return {
      value: tf.gather(codes, ids),
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => {
        const [count, dim] = codes.shape;
        const rows = dy.dataSync();
        const chosen = saved.dataSync();
        const sums = new Float64Array(count * dim);
        for (let r = 0; r < chosen.length; r++) {
          const to = chosen[r] * dim;
          for (let c = 0; c < dim; c++) sums[to + c] += rows[r * dim + c];
        }
        return tf.tensor2d(Float32Array.from(sums), [count, dim]);
      },
    };
  });
  return select(embedding) as tf.Tensor2D;
}

export interface Quantized {
  /** Straight-through output: the chosen (normalised) codes forward, the gradient of the normalised input backward. [P, dim] */
  quant: tf.Tensor2D;
  /** Index of the chosen code per row. [P] int32 */
  ids: tf.Tensor1D;
  /** ‖x.detach() − q‖² per row: pulls the codes towards the inputs. [P] */
  vqPenalty: tf.Tensor1D;
  /** ‖x − q.detach()‖² + ‖x − x0‖² per row: pulls the encoder towards its codes and towards the target norm. [P] */
  encoderPenalty: tf.Tensor1D;
}

/** Quantises the rows of `x0` [P, dim] against the raw codebook `embedding0` [codes, dim]. */
export function quantize(x0: tf.Tensor2D, embedding0: tf.Tensor2D): Quantized {
  const dim = embedding0.shape[1];
  const norm = targetNorm(dim);
  const x = rescaleRows(x0, norm);
  const embedding = rescaleRows(embedding0, norm);
  // ‖x − e‖² = ‖x‖² − 2x·e + ‖e‖²; ‖x‖² is the same for every code, so it cannot change the argmin.
  const distances = tf.sub(tf.sum(tf.square(embedding), -1), tf.mul(2, tf.matMul(x, embedding, false, true)));
  const ids = tf.argMin(distances, -1) as tf.Tensor1D;
  const chosen = lookup(ids, embedding);
  const quant: tf.Tensor2D = tf.add(x, stopGradient(tf.sub(chosen, x)));
  const vqPenalty: tf.Tensor1D = tf.sum(tf.square(tf.sub(stopGradient(x), chosen)), -1);
  const encoderPenalty: tf.Tensor1D = tf.add(tf.sum(tf.square(tf.sub(x, stopGradient(chosen))), -1), tf.sum(tf.square(tf.sub(x, x0)), -1));
  return { quant, ids, vqPenalty, encoderPenalty };
}

/** The raw codebook rescaled to the target norm per code, as the original does after every optimiser step. */
export function renormalisedCodebook(embedding0: tf.Tensor2D): tf.Tensor2D {
  return atTargetNorm(embedding0);
}

/** Rows [P, dim] rescaled to the target norm: codes after renormalisation, or inputs as the quantiser compares them. */
export function atTargetNorm(rows: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => rescaleRows(rows, targetNorm(rows.shape[1])));
}

/**
 * Entropy of the code histogram of `ids`, in nats (natural log, as the original's
 * `-(p * p.log()).sum()`): 0 when one code is used, ln(nCodes) when all are used equally.
 */
export function codeUsageEntropy(ids: ArrayLike<number>, nCodes: number): number {
  if (ids.length === 0) return 0;
  const counts = new Float64Array(nCodes);
  for (let i = 0; i < ids.length; i++) counts[ids[i]]++;
  let entropy = 0;
  for (const count of counts) {
    if (count === 0) continue;
    const p = count / ids.length;
    entropy -= p * Math.log(p);
  }
  return entropy;
}

/** How many codes a batch uses: distinct codes, and perplexity (exp of the usage entropy: the number of equally used codes it equals). */
export interface CodeUsage {
  codes: number;
  entropy: number;
  perplexity: number;
}

export function codeUsage(ids: ArrayLike<number>, nCodes: number): CodeUsage {
  const entropy = codeUsageEntropy(ids, nCodes);
  return { codes: new Set(Array.from(ids)).size, entropy, perplexity: Math.exp(entropy) };
}
