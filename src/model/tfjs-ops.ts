import * as tf from '@tensorflow/tfjs';
import { applyConv } from './layers.js';
import { quantize } from './quantize.js';
import type { Codebook, ConvLayer, Ops } from './vqvae2.js';

/** A quantised NHWC grid, with what the latent loss needs. */
export interface QuantisedGrid {
  quant: tf.Tensor4D;
  /** Code indices, int32, laid out as the original's ids: [N, W (time), H (mel)]. */
  ids: tf.Tensor3D;
  vqPenalty: tf.Tensor1D;
  encoderPenalty: tf.Tensor1D;
}

/**
 * The forward pass's operations in TensorFlow.js over NHWC tensors (H = mel, W = time), with
 * parameters in tfjs layouts by PyTorch state_dict name.
 */
export class TfjsOps implements Ops<tf.Tensor4D, QuantisedGrid> {
  constructor(private readonly parameters: ReadonlyMap<string, tf.Tensor>) {}

  conv(layer: ConvLayer, x: tf.Tensor4D): tf.Tensor4D {
    const weight = this.parameters.get(`${layer.name}.weight`) as tf.Tensor4D;
    const bias = this.parameters.get(`${layer.name}.bias`) as tf.Tensor1D;
    return applyConv(layer, { weight, bias }, x);
  }

  relu(x: tf.Tensor4D): tf.Tensor4D {
    return tf.relu(x);
  }

  add(a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D {
    return tf.add(a, b);
  }

  concat(a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D {
    return tf.concat([a, b], -1);
  }

  quantise(x: tf.Tensor4D, codebook: Codebook): QuantisedGrid {
    const [n, h, w, e] = x.shape;
    const q = quantize(tf.reshape(x, [n * h * w, e]), this.parameters.get(`${codebook.name}.embedding0`) as tf.Tensor2D);
    return {
      quant: tf.reshape(q.quant, [n, h, w, e]),
      ids: tf.transpose(tf.reshape(q.ids, [n, h, w]), [0, 2, 1]),
      vqPenalty: q.vqPenalty,
      encoderPenalty: q.encoderPenalty,
    };
  }
}
