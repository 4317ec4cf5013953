import { UserError } from '../../errors.js';
import type { EncoderName } from '../encoders.js';
import type { TensorMap } from '../safetensors.js';
import { CODE_SCALE, MEL, PRESETS, bottomLatent, encodeBottom, layers, topLatent } from '../vqvae2.js';
import type { Codebook, ConvLayer, Ops, VQVAE2Config } from '../vqvae2.js';
import { attr, GraphBuilder } from './builder.js';
import { logMelGraph } from './frontend.js';
import { encodeModel, type ValueInfo } from './proto.js';
import { Weights } from './weights.js';

/** ONNX operator set 17 (onnxruntime ≥ 1.12). */
const OPSET = 17;

/** An NCHW activation: its value name and static sizes (the batch stays symbolic). */
interface Feature {
  value: string;
  channels: number;
  height: number;
  width: number;
}

/** A quantiser's result as graph values: codes (N, H, W) int64 and the quantised latents. */
interface QuantisedFeature {
  quant: Feature;
  codes: string;
  codebookSize: number;
}

/**
 * The sizes of the VQ-VAE2 a checkpoint holds, from its tensors' shapes: any channel counts and
 * number of res blocks, as boiler train writes them. The layers then check every tensor they read.
 */
function checkpointConfig(w: Weights): VQVAE2Config {
  // Layer names are the same in every preset; the paper's has the most res blocks.
  const named = layers(PRESETS.paper);
  const outChannels = (layer: ConvLayer) => w.get(`${layer.name}.weight`, [null, null, null, null]).shape[0];
  const firstResBlock = named.encBottom.res[0].conv1;
  let nResBlock = 0;
  while (w.has(`enc_b.5.${nResBlock}.conv.1.weight`)) nResBlock++;
  return {
    inChannel: 1,
    channel: outChannels(named.encBottom.conv),
    nResBlock,
    nResChannel: nResBlock > 0 ? outChannels(firstResBlock) : 0,
    embedDim: outChannels(named.quantizeConvTop),
    // The quantisers take their codebook sizes from the checkpoint as they read it.
    nEmbedTop: 0,
    nEmbedBottom: 0,
  };
}

/** The forward pass's operations as ONNX nodes over NCHW values, reading each layer's weights from a checkpoint. */
class OnnxOps implements Ops<Feature, QuantisedFeature> {
  readonly g = new GraphBuilder();

  constructor(private readonly w: Weights) {}

  /** The mel front end inside the graph: wav (N, 1, CLIP_SAMPLES) → (N, 1, 80, 256). */
  logMel(wav: Feature): Feature {
    return { value: logMelGraph(this.g, wav.value), channels: 1, height: MEL.nMels, width: MEL.frames };
  }

  /** PyTorch's Conv2d weight is [out, in, kh, kw] and ConvTranspose2d's [in, out, kh, kw], as ONNX's. */
  conv(layer: ConvLayer, x: Feature): Feature {
    const { name, kernel, stride, padding, transposed } = layer;
    const weight = this.w.get(`${name}.weight`, transposed ? [x.channels, null, kernel, kernel] : [null, x.channels, kernel, kernel]);
    const out = weight.shape[transposed ? 1 : 0];
    if (out !== layer.outChannels) {
      throw new UserError(`the checkpoint's ${name}.weight gives ${out} channels, where its other layers need ${layer.outChannels}: use a checkpoint that boiler train wrote`);
    }
    const size = transposed ? (n: number) => (n - 1) * stride - 2 * padding + kernel : (n: number) => Math.floor((n + 2 * padding - kernel) / stride) + 1;
    const bias = this.g.constant(`${name}.bias`, [out], this.w.get(`${name}.bias`, [out]).data);
    const value = this.g.op(
      transposed ? 'ConvTranspose' : 'Conv',
      [x.value, this.g.constant(`${name}.weight`, weight.shape, weight.data), bias],
      { kernel_shape: attr.ints([kernel, kernel]), strides: attr.ints([stride, stride]), pads: attr.ints([padding, padding, padding, padding]) },
      name,
    );
    return { value, channels: out, height: size(x.height), width: size(x.width) };
  }

  relu(x: Feature): Feature {
    return { ...x, value: this.g.op('Relu', [x.value]) };
  }

  add(a: Feature, b: Feature): Feature {
    return { ...a, value: this.g.op('Add', [a.value, b.value]) };
  }

  concat(a: Feature, b: Feature): Feature {
    if (a.height !== b.height || a.width !== b.width) throw new Error(`cannot join a ${a.height}×${a.width} grid to a ${b.height}×${b.width} one`);
    return { ...a, value: this.g.op('Concat', [a.value, b.value], { axis: attr.int(1) }), channels: a.channels + b.channels };
  }

  /**
   * The normalised vector quantiser: inputs and codes are rescaled to the same norm, so the
   * nearest code by L2 is the one with the largest dot product with the input's direction, and
   * the input's own scale does not matter.
   */
  quantise(x: Feature, { name }: Codebook): QuantisedFeature {
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
    return { codes, quant: { ...x, value }, codebookSize: size };
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
  const weights = new Weights(stateDict);
  const net = new OnnxOps(weights);
  const model = layers(checkpointConfig(weights));
  const { g } = net;
  const batch = 'N';
  const wav = g.input({ name: 'wav', type: 'float', shape: [batch, 1, MEL.samples] });
  const mel = net.logMel({ value: wav, channels: 1, height: 1, width: MEL.samples });
  const { firstLayer, bottom } = encodeBottom(net, model, mel);
  const quantTop = net.quantise(topLatent(net, model, bottom), model.quantizeTop);
  const latentTop = quantTop.quant;

  const debug: { value: string; info: ValueInfo }[] = [
    { value: mel.value, info: { name: 'log_mel', type: 'float', shape: [batch, 1, mel.height, mel.width] } },
    { value: quantTop.codes, info: { name: 'codes_t', type: 'int64', shape: [batch, latentTop.height, latentTop.width] } },
    { value: latentTop.value, info: { name: 'quant_t', type: 'float', shape: [batch, latentTop.channels, latentTop.height, latentTop.width] } },
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
      const meanOverMel = g.op('ReduceMean', [latentTop.value], { axes: attr.ints([2]), keepdims: attr.int(1) }, 'mean_freq');
      embedding = g.op('Reshape', [meanOverMel, g.ints('flat', [0, channels * width])], {}, 'mean_freq_t');
      dimension = channels * width;
      break;
    }
    case 'BagBottomVQVAE': {
      const quantBottom = net.quantise(bottomLatent(net, model, latentTop, bottom), model.quantizeBottom);
      embedding = net.bagOfCodes(quantBottom.codes, quantBottom.codebookSize, 'bag_b');
      dimension = quantBottom.codebookSize;
      const { height, width } = quantBottom.quant;
      debug.push({ value: quantBottom.codes, info: { name: 'codes_b', type: 'int64', shape: [batch, height, width] } });
      break;
    }
  }
  g.output(embedding, { name: 'embedding', type: 'float', shape: [batch, dimension] });
  if (options.debugOutputs) for (const { value, info } of debug) g.output(value, info);
  return encodeModel({ opset: OPSET, producer: 'boiler', graph: g.graph(encoder), metadata: { encoder, dimension: String(dimension) } });
}
