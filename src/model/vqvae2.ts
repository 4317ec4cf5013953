/**
 * What boiler's model is, in one place: the audio front end, the VQ-VAE2's layers and its forward
 * pass. It is rosinality's vq-vae-2 (vqvae.py) with the original boiler's large kernels and
 * normalised quantiser, over log-mel spectrograms; parameters keep their PyTorch state_dict names.
 *
 * The forward pass is written once, over a handful of operations (`Ops`): TensorFlow.js runs it
 * for training and the tfjs encoder (src/model/tfjs-ops.ts, NHWC), and the ONNX export writes it
 * out as a graph (src/model/onnx/graph.ts, NCHW). This file imports neither.
 */

// ─── Audio front end ────────────────────────────────────────────────────────────────────────────

/** Clips are 16 kHz mono: what `boiler convert` writes by default and the only rate later stages read. */
export const SAMPLE_RATE = 16000;

/** Clip length in samples (2**17, 8.192 s): the length the original chose from the crawl's length histogram. */
export const CLIP_SAMPLES = 2 ** 17;

/**
 * The original's mel front end (Audio2Mel): reflect-pad `pad` samples on both sides, frames of
 * nFft with hop `hop` (no centering), periodic Hann window of `win`, STFT magnitude, librosa's
 * Slaney mel basis over [fMin, fMax], log10(max(x, 1e-5)). One clip → nMels × frames: the image
 * the forward pass below starts from. Computed in TypeScript for training and the tfjs encoder
 * (src/audio/mel.ts), and as ONNX operators inside encoder.onnx (src/model/onnx/frontend.ts).
 */
export const MEL = {
  sampleRate: SAMPLE_RATE,
  nFft: 1024,
  hop: 512,
  win: 1024,
  nMels: 80,
  fMin: 0,
  fMax: SAMPLE_RATE / 2,
  /** (nFft − hop) / 2: the original pads by this on both sides instead of centering frames. */
  pad: 256,
  samples: CLIP_SAMPLES,
  /** (samples + 2·pad − nFft) / hop + 1. */
  frames: 256,
} as const;

/** The quantiser rescales its inputs and codes to norm CODE_SCALE·√dim (boiler/quantize.py's target_scale). */
export const CODE_SCALE = 0.06;

// ─── Presets ────────────────────────────────────────────────────────────────────────────────────

export type PresetName = 'paper' | 'tiny';
export const PRESET_NAMES: readonly PresetName[] = ['paper', 'tiny'];

export interface VQVAE2Config {
  inChannel: number;
  channel: number;
  nResBlock: number;
  nResChannel: number;
  embedDim: number;
  /** Codebook sizes of the top and bottom quantisers. */
  nEmbedTop: number;
  nEmbedBottom: number;
}

/**
 * `paper` is the original `VQVAE2(in_channel=1, n_embed=(64, 512))`: 10,124,865 parameters.
 * `tiny` has the same layers, kernels, strides, paddings and codebook sizes (so the same latent
 * grids) with far fewer channels, for CI smoke runs and the demo.
 */
export const PRESETS: Record<PresetName, VQVAE2Config> = {
  paper: { inChannel: 1, channel: 128, nResBlock: 4, nResChannel: 32, embedDim: 64, nEmbedTop: 64, nEmbedBottom: 512 },
  tiny: { inChannel: 1, channel: 16, nResBlock: 2, nResChannel: 8, embedDim: 16, nEmbedTop: 64, nEmbedBottom: 512 },
};

/** The latent grids an 80×256 mel gives (mel × time): the layers' strides and paddings fix them. */
export const TOP_GRID = { mel: 1, time: 23 } as const;
export const BOTTOM_GRID = { mel: 19, time: 63 } as const;
/** The grid after enc_b's first convolution (80×256 → 38×126). */
export const FIRST_LAYER_GRID = { mel: 38, time: 126 } as const;

// ─── Layers ─────────────────────────────────────────────────────────────────────────────────────

/** A Conv2d or ConvTranspose2d as PyTorch declares it (square kernel, symmetric padding, no output padding). */
export interface ConvLayer {
  /** state_dict prefix: its parameters are `${name}.weight` and `${name}.bias`. */
  name: string;
  transposed: boolean;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  padding: number;
}

/** A quantiser's raw codebook, the parameter `${name}.embedding0` shaped [1, codes, dim]. */
export interface Codebook {
  name: string;
  codes: number;
  dim: number;
}

/** rosinality's ResBlock: ReLU, 3×3 conv (channel → resChannel), ReLU, 1×1 conv (→ channel), plus the input. */
export interface ResBlock {
  conv1: ConvLayer;
  conv2: ConvLayer;
}

/** The model's blocks in state_dict order (the order of the reference checkpoint); shapes are mel × time. */
export interface Layers {
  /** enc_b: 80×256 mel → 19×63, `channel` wide. */
  encBottom: { down1: ConvLayer; down2: ConvLayer; conv: ConvLayer; res: ResBlock[] };
  /** enc_t: 19×63 → 1×23; the 20×20 stride-2 kernel spans the whole mel axis. */
  encTop: { down: ConvLayer; conv: ConvLayer; res: ResBlock[] };
  quantizeConvTop: ConvLayer;
  quantizeTop: Codebook;
  /** dec_t: quantised top 1×23 → 19×63, joined to enc_b's output for the bottom quantiser. */
  decTop: { conv: ConvLayer; res: ResBlock[]; up: ConvLayer };
  quantizeConvBottom: ConvLayer;
  quantizeBottom: Codebook;
  upsampleTop: ConvLayer;
  /** dec: both quantised grids at 19×63 → 80×256. */
  decoder: { conv: ConvLayer; res: ResBlock[]; up1: ConvLayer; up2: ConvLayer };
}

function conv(name: string, inChannels: number, outChannels: number, kernel: number, stride = 1, padding = 0): ConvLayer {
  return { name, transposed: false, inChannels, outChannels, kernel, stride, padding };
}

function convTranspose(name: string, inChannels: number, outChannels: number, kernel: number, stride: number, padding: number): ConvLayer {
  return { name, transposed: true, inChannels, outChannels, kernel, stride, padding };
}

function resBlocks(prefix: string, c: VQVAE2Config): ResBlock[] {
  return Array.from({ length: c.nResBlock }, (_, i) => ({
    conv1: conv(`${prefix}.${i}.conv.1`, c.channel, c.nResChannel, 3, 1, 1),
    conv2: conv(`${prefix}.${i}.conv.3`, c.nResChannel, c.channel, 1),
  }));
}

/** Every layer of a VQ-VAE2 of these sizes; the paddings are those that give the 19×63 and 1×23 grids and back. */
export function layers(c: VQVAE2Config): Layers {
  const half = c.channel / 2;
  return {
    encBottom: {
      down1: conv('enc_b.0', c.inChannel, half, 8, 2, 1), // 80×256 → 38×126
      down2: conv('enc_b.2', half, c.channel, 4, 2, 1), // → 19×63
      conv: conv('enc_b.4', c.channel, c.channel, 3, 1, 1),
      res: resBlocks('enc_b.5', c),
    },
    encTop: {
      down: conv('enc_t.0', c.channel, half, 20, 2, 1), // 19×63 → 1×23
      conv: conv('enc_t.2', half, c.channel, 3, 1, 1),
      res: resBlocks('enc_t.3', c),
    },
    quantizeConvTop: conv('quantize_conv_t', c.channel, c.embedDim, 1),
    quantizeTop: { name: 'quantize_t', codes: c.nEmbedTop, dim: c.embedDim },
    decTop: {
      conv: conv('dec_t.0', c.embedDim, c.channel, 3, 1, 1),
      res: resBlocks('dec_t.1', c),
      up: convTranspose('dec_t.3', c.channel, c.embedDim, 21, 2, 1), // 1×23 → 19×63
    },
    quantizeConvBottom: conv('quantize_conv_b', c.embedDim + c.channel, c.embedDim, 1),
    quantizeBottom: { name: 'quantize_b', codes: c.nEmbedBottom, dim: c.embedDim },
    upsampleTop: convTranspose('upsample_t.0', c.embedDim, c.embedDim, 21, 2, 1), // 1×23 → 19×63
    decoder: {
      conv: conv('dec.0', 2 * c.embedDim, c.channel, 3, 1, 1),
      res: resBlocks('dec.1', c),
      up1: convTranspose('dec.3', c.channel, half, 4, 2, 1), // 19×63 → 38×126
      up2: convTranspose('dec.5', half, c.inChannel, 8, 2, 1), // → 80×256
    },
  };
}

// ─── Parameters ─────────────────────────────────────────────────────────────────────────────────

/** A parameter's name and shape as PyTorch stores it. */
export interface ParameterSpec {
  name: string;
  torchShape: number[];
  kind: 'conv' | 'convTranspose' | 'bias' | 'codebook';
  /** Fan-in PyTorch's default initialisation uses for this layer (weights and biases alike). */
  fanIn: number;
}

function specsOf(part: unknown): ParameterSpec[] {
  if (Array.isArray(part)) return part.flatMap(specsOf);
  if ('codes' in (part as Codebook)) {
    const { name, codes, dim } = part as Codebook;
    return [{ name: `${name}.embedding0`, torchShape: [1, codes, dim], kind: 'codebook', fanIn: dim }];
  }
  if (!('kernel' in (part as ConvLayer))) return Object.values(part as object).flatMap(specsOf);
  const { name, inChannels, outChannels, kernel, transposed } = part as ConvLayer;
  // PyTorch takes fan-in from weight dim 1: in_channels for Conv2d, out_channels for ConvTranspose2d.
  const fanIn = (transposed ? outChannels : inChannels) * kernel * kernel;
  const weightShape = transposed ? [inChannels, outChannels, kernel, kernel] : [outChannels, inChannels, kernel, kernel];
  return [
    { name: `${name}.weight`, torchShape: weightShape, kind: transposed ? 'convTranspose' : 'conv', fanIn },
    { name: `${name}.bias`, torchShape: [outChannels], kind: 'bias', fanIn },
  ];
}

/** The state_dict entries in PyTorch order: `layers` walked in declaration order. */
export function parameterSpecs(c: VQVAE2Config): ParameterSpec[] {
  return specsOf(layers(c));
}

export function parameterCount(c: VQVAE2Config): number {
  return parameterSpecs(c).reduce((sum, s) => sum + s.torchShape.reduce((a, b) => a * b, 1), 0);
}

// ─── Forward pass ───────────────────────────────────────────────────────────────────────────────

/** What a quantiser gives at least: the quantised grid, shaped as its input. */
export interface Quantised<T> {
  quant: T;
}

/**
 * The operations the forward pass is written in, over activations `T` (N × channels × mel × time,
 * in whatever layout the implementation keeps) and quantiser results `Q`.
 */
export interface Ops<T, Q extends Quantised<T>> {
  /** Conv2d, or ConvTranspose2d where `layer.transposed`, with the layer's weights and bias. */
  conv(layer: ConvLayer, x: T): T;
  relu(x: T): T;
  add(a: T, b: T): T;
  /** Channels of `a`, then of `b`, on the same grid. */
  concat(a: T, b: T): T;
  /** The normalised vector quantiser, position by position. */
  quantise(x: T, codebook: Codebook): Q;
}

/** The ResBlocks. The original's first ReLU is in place, so the skip connection adds relu(x), not x. */
function applyResBlocks<T>(ops: Ops<T, Quantised<T>>, blocks: ResBlock[], x: T): T {
  for (const { conv1, conv2 } of blocks) {
    const rectified = ops.relu(x);
    x = ops.add(ops.conv(conv2, ops.relu(ops.conv(conv1, rectified))), rectified);
  }
  return x;
}

/** enc_b's output, and its first layer's (which the pooled embeddings also summarise). */
export interface BottomEncoding<T> {
  /** After enc_b.0 and its ReLU: 38×126, channel/2 wide. */
  firstLayer: T;
  /** enc_b's output: 19×63, channel wide. */
  bottom: T;
}

/** enc_b: mel 80×256 → 19×63. */
export function encodeBottom<T>(ops: Ops<T, Quantised<T>>, { encBottom: b }: Layers, mel: T): BottomEncoding<T> {
  const firstLayer = ops.relu(ops.conv(b.down1, mel)); // 38×126
  const h = ops.conv(b.conv, ops.relu(ops.conv(b.down2, firstLayer))); // 19×63
  return { firstLayer, bottom: ops.relu(applyResBlocks(ops, b.res, h)) };
}

/** enc_t then quantize_conv_t: enc_b's 19×63 → the top quantiser's input, 1×23 × embedDim. */
export function topLatent<T>(ops: Ops<T, Quantised<T>>, { encTop: t, quantizeConvTop }: Layers, bottom: T): T {
  const h = ops.conv(t.conv, ops.relu(ops.conv(t.down, bottom))); // 1×23
  return ops.conv(quantizeConvTop, ops.relu(applyResBlocks(ops, t.res, h)));
}

/** dec_t, joined to enc_b's output, then quantize_conv_b: the bottom quantiser's input, 19×63 × embedDim. */
export function bottomLatent<T>(ops: Ops<T, Quantised<T>>, { decTop: d, quantizeConvBottom }: Layers, quantTop: T, bottom: T): T {
  const h = ops.relu(applyResBlocks(ops, d.res, ops.conv(d.conv, quantTop)));
  const upsampled = ops.conv(d.up, h); // 1×23 → 19×63
  return ops.conv(quantizeConvBottom, ops.concat(upsampled, bottom));
}

/** upsample_t and dec: both quantised grids → the reconstructed 80×256 mel. */
export function decode<T>(ops: Ops<T, Quantised<T>>, { upsampleTop, decoder: d }: Layers, quantTop: T, quantBottom: T): T {
  const upsampled = ops.conv(upsampleTop, quantTop); // 1×23 → 19×63
  const h = ops.relu(applyResBlocks(ops, d.res, ops.conv(d.conv, ops.concat(upsampled, quantBottom))));
  return ops.conv(d.up2, ops.relu(ops.conv(d.up1, h))); // → 38×126 → 80×256
}

export interface Encoding<T, Q> extends BottomEncoding<T> {
  top: Q;
  /** The bottom quantiser's result (its input passes through the top's codes). */
  bottomCodes: Q;
}

/** The encoder half: mel → both quantisers' results. */
export function encode<T, Q extends Quantised<T>>(ops: Ops<T, Q>, model: Layers, mel: T): Encoding<T, Q> {
  const { firstLayer, bottom } = encodeBottom(ops, model, mel);
  const top = ops.quantise(topLatent(ops, model, bottom), model.quantizeTop);
  const bottomCodes = ops.quantise(bottomLatent(ops, model, top.quant, bottom), model.quantizeBottom);
  return { firstLayer, bottom, top, bottomCodes };
}

/** The whole model: mel → codes and reconstruction. */
export function forward<T, Q extends Quantised<T>>(ops: Ops<T, Q>, model: Layers, mel: T): Encoding<T, Q> & { recon: T } {
  const encoded = encode(ops, model, mel);
  return { ...encoded, recon: decode(ops, model, encoded.top.quant, encoded.bottomCodes.quant) };
}
