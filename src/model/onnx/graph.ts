import { MEL } from '../../audio/mel.js';
import { architecture, PRESETS, type ConvLayer } from '../presets.js';
import type { TensorMap } from '../safetensors.js';
import { attr, GraphBuilder } from './builder.js';
import { logMelGraph } from './frontend.js';
import { encodeModel, type ValueInfo } from './proto.js';
import { Weights } from './weights.js';

/** The original's three encoders (boiler/encoder.py), BagTopVQVAE its default. */
export { ENCODER_NAMES as ENCODERS, type EncoderName } from '../encoders.js';
import type { EncoderName } from '../encoders.js';

/** ONNX operator set 17 (onnxruntime ≥ 1.12). */
const OPSET = 17;

/** The quantiser rescales inputs and codes to this norm per √dimension (boiler/quantize.py's target_scale). */
const CODE_SCALE = 0.06;

/** An NCHW activation: its value name and static sizes (the batch stays symbolic). */
interface Feature {
  value: string;
  channels: number;
  height: number;
  width: number;
}

/** Kernel, stride and padding by layer name: the architecture's, the same in every preset (only channel counts differ). */
const GEOMETRY = new Map(architecture(PRESETS.paper).convs.map((layer) => [layer.name, layer]));

function geometry(layer: string): ConvLayer {
  // A checkpoint with more res blocks than the paper preset: every block is shaped like block 0.
  const found = GEOMETRY.get(layer) ?? GEOMETRY.get(layer.replace(/\.\d+\.conv\./, '.0.conv.'));
  if (!found) throw new Error(`${layer} is not a layer of the VQ-VAE2 architecture`);
  return found;
}

/** Builds the encoder half of VQ-VAE2 from a checkpoint, layer by layer, as rosinality's vqvae.py with boiler's kernels. */
class EncoderGraph {
  readonly g = new GraphBuilder();
  private readonly w: Weights;

  constructor(stateDict: TensorMap) {
    this.w = new Weights(stateDict);
  }

  /** Conv2d `layer`; `channels`, where given, is the output channel count the architecture ties to another layer's. */
  conv(x: Feature, layer: string, channels?: number): Feature {
    const { kernel, stride, padding, transposed } = geometry(layer);
    if (transposed) throw new Error(`${layer} is a transposed convolution`);
    const weight = this.w.get(`${layer}.weight`, [channels ?? null, x.channels, kernel, kernel]);
    const out = weight.shape[0];
    const size = (n: number) => Math.floor((n + 2 * padding - kernel) / stride) + 1;
    return { value: this.convNode('Conv', x, layer, weight, out), channels: out, height: size(x.height), width: size(x.width) };
  }

  /** ConvTranspose2d `layer`: PyTorch's weight is [in, out, kh, kw], as ONNX's. */
  convTranspose(x: Feature, layer: string): Feature {
    const { kernel, stride, padding, transposed } = geometry(layer);
    if (!transposed) throw new Error(`${layer} is not a transposed convolution`);
    const weight = this.w.get(`${layer}.weight`, [x.channels, null, kernel, kernel]);
    const out = weight.shape[1];
    const size = (n: number) => (n - 1) * stride - 2 * padding + kernel;
    return { value: this.convNode('ConvTranspose', x, layer, weight, out), channels: out, height: size(x.height), width: size(x.width) };
  }

  private convNode(opType: 'Conv' | 'ConvTranspose', x: Feature, layer: string, weight: { shape: number[]; data: Float32Array }, out: number): string {
    const { kernel, stride, padding } = geometry(layer);
    return this.g.op(
      opType,
      [x.value, this.g.constant(`${layer}.weight`, weight.shape, weight.data), this.bias(layer, out)],
      { kernel_shape: attr.ints([kernel, kernel]), strides: attr.ints([stride, stride]), pads: attr.ints([padding, padding, padding, padding]) },
      layer,
    );
  }

  private bias(layer: string, channels: number): string {
    return this.g.constant(`${layer}.bias`, [channels], this.w.get(`${layer}.bias`, [channels]).data);
  }

  relu(x: Feature): Feature {
    return { ...x, value: this.g.op('Relu', [x.value]) };
  }

  /**
   * ResBlocks `prefix.0`, `prefix.1`, … for as many as the checkpoint has. The original's first
   * ReLU is in place, so the skip connection adds relu(x), not x: r + conv1×1(relu(conv3×3(r))), r = relu(x).
   */
  resBlocks(x: Feature, prefix: string): Feature {
    for (let i = 0; this.w.has(`${prefix}.${i}.conv.1.weight`); i++) {
      const block = `${prefix}.${i}.conv`;
      const rectified = this.relu(x);
      const hidden = this.relu(this.conv(rectified, `${block}.1`));
      const delta = this.conv(hidden, `${block}.3`, x.channels);
      x = { ...x, value: this.g.op('Add', [rectified.value, delta.value], {}, `${prefix}.${i}`) };
    }
    return x;
  }

  /** enc_b, with its first layer's output kept for the pooled embeddings. */
  encodeBottom(mel: Feature): { firstLayer: Feature; bottom: Feature } {
    const firstLayer = this.relu(this.conv(mel, 'enc_b.0'));
    let x = this.relu(this.conv(firstLayer, 'enc_b.2'));
    x = this.conv(x, 'enc_b.4', x.channels);
    return { firstLayer, bottom: this.relu(this.resBlocks(x, 'enc_b.5')) };
  }

  /**
   * Per mel row and channel, the mean and then the population standard deviation over time:
   * (N, C, H, W) → (N, 2·H·C), the means row-major (row, then channel), then the stds, as
   * encoders.ts's poolOverTime lays out its NHWC input.
   */
  poolOverTime(x: Feature, name: string): { value: string; dimension: number } {
    const { g } = this;
    const overTime = { axes: attr.ints([3]), keepdims: attr.int(1) };
    const mean = g.op('ReduceMean', [x.value], overTime, `${name}.mean`);
    const centred = g.op('Sub', [x.value, mean], {}, `${name}.centred`);
    const variance = g.op('ReduceMean', [g.op('Mul', [centred, centred])], overTime, `${name}.variance`);
    const std = g.op('Sqrt', [variance], {}, `${name}.std`);
    // (N, C, H, 1) → (N, 1, H, C), so that both flatten row-major over (row, channel).
    const rowsFirst = (value: string) => g.op('Transpose', [value], { perm: attr.ints([0, 3, 2, 1]) });
    const both = g.op('Concat', [rowsFirst(mean), rowsFirst(std)], { axis: attr.int(1) }, `${name}.moments`);
    const dimension = 2 * x.height * x.channels;
    return { value: g.op('Reshape', [both, g.ints(`${name}.flat`, [0, dimension])], {}, name), dimension };
  }

  /** 80×256 mel → 19×63 bottom → 1×23 top: the 20×20 stride-2 kernel spans the whole mel axis. */
  encodeTop(bottom: Feature): Feature {
    const x = this.relu(this.conv(bottom, 'enc_t.0'));
    const y = this.conv(x, 'enc_t.2', bottom.channels);
    return this.relu(this.resBlocks(y, 'enc_t.3'));
  }

  /** Upsamples the quantised top latents to the bottom's grid (dec_t), for the bottom quantiser. */
  decodeTop(quantTop: Feature, channels: number): Feature {
    let x = this.conv(quantTop, 'dec_t.0', channels);
    x = this.relu(this.resBlocks(x, 'dec_t.1'));
    return this.convTranspose(x, 'dec_t.3');
  }

  /**
   * The normalised vector quantiser: inputs and codes are rescaled to the same norm, so the
   * nearest code by L2 is the one with the largest dot product with the input's direction, and
   * the input's own scale does not matter. Returns codes (N, H, W) and quantised latents (N, C, H, W).
   */
  quantise(x: Feature, name: string): { codes: string; quantised: Feature; codebookSize: number } {
    const codebook = this.w.get(`${name}.embedding0`, [1, null, x.channels]);
    const [, size, dim] = codebook.shape;
    const unitT = new Float32Array(dim * size);
    const scaled = new Float32Array(size * dim);
    const target = CODE_SCALE * Math.sqrt(dim);
    for (let k = 0; k < size; k++) {
      const row = codebook.data.subarray(k * dim, (k + 1) * dim);
      const norm = Math.hypot(...row);
      for (let d = 0; d < dim; d++) {
        unitT[d * size + k] = row[d] / norm;
        scaled[k * dim + d] = (target * row[d]) / norm;
      }
    }
    const channelsLast = this.g.op('Transpose', [x.value], { perm: attr.ints([0, 2, 3, 1]) }, `${name}.input`);
    const scores = this.g.op('MatMul', [channelsLast, this.g.constant(`${name}.codes_t`, [dim, size], unitT)], {}, `${name}.scores`);
    const codes = this.g.op('ArgMax', [scores], { axis: attr.int(-1), keepdims: attr.int(0) }, `${name}.codes`);
    const gathered = this.g.op('Gather', [this.g.constant(`${name}.codebook`, [size, dim], scaled), codes], {}, `${name}.gathered`);
    const value = this.g.op('Transpose', [gathered], { perm: attr.ints([0, 3, 1, 2]) }, `${name}.quantised`);
    return { codes, quantised: { ...x, value }, codebookSize: size };
  }

  /** L2-normalised histogram of codes (N, H, W) over a codebook of `size`: (N, size). */
  bagOfCodes(codes: string, size: number, name: string): string {
    const oneHot = this.g.op(
      'OneHot',
      [codes, this.g.ints(`${name}.depth`, [size]), this.g.constant(`${name}.one_hot_values`, [2], Float32Array.of(0, 1))],
      { axis: attr.int(-1) },
      `${name}.one_hot`,
    );
    const counts = this.g.op('ReduceSum', [oneHot, this.g.ints(`${name}.positions`, [1, 2])], { keepdims: attr.int(0) }, `${name}.counts`);
    return this.g.op('LpNormalization', [counts], { axis: attr.int(1), p: attr.int(2) }, name);
  }
}

export interface BuildOptions {
  /** Also output log_mel (N,1,80,256), codes_t, quant_t and (BagBottom) codes_b, for tests against the reference. */
  debugOutputs?: boolean;
}

/**
 * An ONNX model of `encoder` over the checkpoint's weights: input `wav` (N, 1, 2**17) float,
 * the loader's output; output `embedding` (N, D). Mel frontend included, so that onnxruntime in
 * any language runs it without boiler. Throws UserError when the checkpoint is not a VQ-VAE2's.
 */
export function buildEncoderOnnx(stateDict: TensorMap, encoder: EncoderName, options: BuildOptions = {}): Uint8Array {
  const net = new EncoderGraph(stateDict);
  const { g } = net;
  const batch = 'N';
  const wav = g.input({ name: 'wav', type: 'float', shape: [batch, 1, MEL.samples] });
  const mel: Feature = { value: logMelGraph(g, wav), channels: 1, height: MEL.nMels, width: MEL.frames };
  const { firstLayer, bottom } = net.encodeBottom(mel);
  const top = net.encodeTop(bottom);
  const latentTop = net.conv(top, 'quantize_conv_t');
  const quantTop = net.quantise(latentTop, 'quantize_t');

  const debug: { value: string; info: ValueInfo }[] = [
    { value: mel.value, info: { name: 'log_mel', type: 'float', shape: [batch, 1, mel.height, mel.width] } },
    { value: quantTop.codes, info: { name: 'codes_t', type: 'int64', shape: [batch, latentTop.height, latentTop.width] } },
    { value: quantTop.quantised.value, info: { name: 'quant_t', type: 'float', shape: [batch, latentTop.channels, latentTop.height, latentTop.width] } },
  ];
  let embedding: string;
  let dimension: number;
  switch (encoder) {
    case 'PooledFirstLayerVQVAE':
    case 'PooledBottomVQVAE': {
      const pooled = net.poolOverTime(encoder === 'PooledFirstLayerVQVAE' ? firstLayer : bottom, 'pooled');
      embedding = pooled.value;
      dimension = pooled.dimension;
      break;
    }
    case 'BagTopVQVAE':
      embedding = net.bagOfCodes(quantTop.codes, quantTop.codebookSize, 'bag_t');
      dimension = quantTop.codebookSize;
      break;
    case 'MeanFreqTopVQVAE': {
      const { channels, width } = latentTop;
      const meanOverMel = g.op('ReduceMean', [quantTop.quantised.value], { axes: attr.ints([2]), keepdims: attr.int(1) }, 'mean_freq');
      embedding = g.op('Reshape', [meanOverMel, g.ints('flat', [0, channels * width])], {}, 'mean_freq_t');
      dimension = channels * width;
      break;
    }
    case 'BagBottomVQVAE': {
      const upsampled = net.decodeTop(quantTop.quantised, bottom.channels);
      if (upsampled.height !== bottom.height || upsampled.width !== bottom.width || upsampled.channels !== latentTop.channels) {
        throw new Error(`dec_t gives ${upsampled.height}×${upsampled.width}, the bottom is ${bottom.height}×${bottom.width}`);
      }
      const joined: Feature = {
        ...bottom,
        value: g.op('Concat', [upsampled.value, bottom.value], { axis: attr.int(1) }, 'dec_t_enc_b'),
        channels: upsampled.channels + bottom.channels,
      };
      const latentBottom = net.conv(joined, 'quantize_conv_b', latentTop.channels);
      const quantBottom = net.quantise(latentBottom, 'quantize_b');
      embedding = net.bagOfCodes(quantBottom.codes, quantBottom.codebookSize, 'bag_b');
      dimension = quantBottom.codebookSize;
      debug.push({ value: quantBottom.codes, info: { name: 'codes_b', type: 'int64', shape: [batch, latentBottom.height, latentBottom.width] } });
      break;
    }
  }
  g.output(embedding, { name: 'embedding', type: 'float', shape: [batch, dimension] });
  if (options.debugOutputs) for (const { value, info } of debug) g.output(value, info);
  return encodeModel({ opset: OPSET, producer: 'boiler', graph: g.graph(encoder), metadata: { encoder, dimension: String(dimension) } });
}
