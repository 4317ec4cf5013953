import * as tf from '@tensorflow/tfjs';
import type { ConvLayer } from './vqvae2.js';

/** The weights of one conv layer, tfjs layout: [kh, kw, in, out] (Conv2d) or [kh, kw, out, in] (ConvTranspose2d). */
export interface ConvWeights {
  weight: tf.Tensor4D;
  bias: tf.Tensor1D;
}

/**
 * PyTorch's Conv2d / ConvTranspose2d (symmetric padding, no output padding) over NHWC tensors.
 * A transposed conv's output size is (in − 1)·stride − 2·padding + kernel, as in PyTorch.
 */
export function applyConv(layer: ConvLayer, { weight, bias }: ConvWeights, x: tf.Tensor4D): tf.Tensor4D {
  const { stride, padding, kernel } = layer;
  if (!layer.transposed) return tf.add(tf.conv2d(x, weight, stride, padding), bias);
  const [n, h, w] = x.shape;
  const grow = (size: number) => (size - 1) * stride - 2 * padding + kernel;
  const outShape: [number, number, number, number] = [n, grow(h), grow(w), layer.outChannels];
  return tf.add(tf.conv2dTranspose(x, weight, outShape, stride, padding), bias);
}
