/**
 * The VQ-VAE2's sizes and the list of its parameters, in the original PyTorch `state_dict` names.
 *
 * The `paper` preset is the original `VQVAE2(in_channel=1, n_embed=(64, 512))`: 10,124,865
 * parameters. `tiny` is the same architecture (same layers, kernel sizes, strides, paddings and
 * codebook sizes, so the same latent grids and embedding dimensions) with far fewer channels, for
 * CI smoke runs and the demo.
 */

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

export const PRESETS: Record<PresetName, VQVAE2Config> = {
  paper: { inChannel: 1, channel: 128, nResBlock: 4, nResChannel: 32, embedDim: 64, nEmbedTop: 64, nEmbedBottom: 512 },
  tiny: { inChannel: 1, channel: 16, nResBlock: 2, nResChannel: 8, embedDim: 16, nEmbedTop: 64, nEmbedBottom: 512 },
};

/** The latent grids an 80×256 mel gives (mel × time): the architecture's strides and paddings fix them. */
export const TOP_GRID = { mel: 1, time: 23 } as const;
export const BOTTOM_GRID = { mel: 19, time: 63 } as const;
/** The grid after enc_b's first convolution (80×256 → 38×126). */
export const FIRST_LAYER_GRID = { mel: 38, time: 126 } as const;

/** A Conv2d or ConvTranspose2d layer as PyTorch declares it (symmetric padding, no output padding). */
export interface ConvLayer {
  name: string;
  transposed: boolean;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  padding: number;
}

export interface Codebook {
  /** PyTorch name of the raw codebook parameter, shaped [1, codes, embedDim]. */
  name: string;
  codes: number;
}

export interface Architecture {
  convs: ConvLayer[];
  codebooks: { top: Codebook; bottom: Codebook };
}

function conv(name: string, inChannels: number, outChannels: number, kernel: number, stride = 1, padding = 0): ConvLayer {
  return { name, transposed: false, inChannels, outChannels, kernel, stride, padding };
}

function convTranspose(name: string, inChannels: number, outChannels: number, kernel: number, stride: number, padding: number): ConvLayer {
  return { name, transposed: true, inChannels, outChannels, kernel, stride, padding };
}

/** ResBlock(channel, resChannel) at `prefix`: ReLU, conv.1 3×3 (channel → resChannel), ReLU, conv.3 1×1 (→ channel). */
function resBlocks(prefix: string, c: VQVAE2Config): ConvLayer[] {
  return Array.from({ length: c.nResBlock }, (_, i) => [
    conv(`${prefix}.${i}.conv.1`, c.channel, c.nResChannel, 3, 1, 1),
    conv(`${prefix}.${i}.conv.3`, c.nResChannel, c.channel, 1),
  ]).flat();
}

/**
 * Every layer in state_dict order. The paddings are those that turn the 80×256 mel into the
 * 19×63 bottom grid and the 1×23 top grid and back (the reference's quant_b, quant_t and recon).
 */
export function architecture(c: VQVAE2Config): Architecture {
  const half = c.channel / 2;
  const convs = [
    conv('enc_b.0', c.inChannel, half, 8, 2, 1), // 80×256 → 38×126
    conv('enc_b.2', half, c.channel, 4, 2, 1), // → 19×63
    conv('enc_b.4', c.channel, c.channel, 3, 1, 1),
    ...resBlocks('enc_b.5', c),
    conv('enc_t.0', c.channel, half, 20, 2, 1), // 19×63 → 1×23
    conv('enc_t.2', half, c.channel, 3, 1, 1),
    ...resBlocks('enc_t.3', c),
    conv('quantize_conv_t', c.channel, c.embedDim, 1),
    conv('dec_t.0', c.embedDim, c.channel, 3, 1, 1),
    ...resBlocks('dec_t.1', c),
    convTranspose('dec_t.3', c.channel, c.embedDim, 21, 2, 1), // 1×23 → 19×63
    conv('quantize_conv_b', c.embedDim + c.channel, c.embedDim, 1),
    convTranspose('upsample_t.0', c.embedDim, c.embedDim, 21, 2, 1), // 1×23 → 19×63
    conv('dec.0', 2 * c.embedDim, c.channel, 3, 1, 1),
    ...resBlocks('dec.1', c),
    convTranspose('dec.3', c.channel, half, 4, 2, 1), // 19×63 → 38×126
    convTranspose('dec.5', half, c.inChannel, 8, 2, 1), // → 80×256
  ];
  return {
    convs,
    codebooks: {
      top: { name: 'quantize_t.embedding0', codes: c.nEmbedTop },
      bottom: { name: 'quantize_b.embedding0', codes: c.nEmbedBottom },
    },
  };
}

/** A parameter's name and shape as PyTorch stores it. */
export interface ParameterSpec {
  name: string;
  torchShape: number[];
  kind: 'conv' | 'convTranspose' | 'bias' | 'codebook';
  /** Fan-in PyTorch's default initialisation uses for this layer (weights and biases alike). */
  fanIn: number;
}

/** The state_dict entries in PyTorch order (the order of the reference checkpoint). */
export function parameterSpecs(c: VQVAE2Config): ParameterSpec[] {
  const { convs, codebooks } = architecture(c);
  const specs: ParameterSpec[] = [];
  const codebookSpec = (book: Codebook): ParameterSpec => ({
    name: book.name,
    torchShape: [1, book.codes, c.embedDim],
    kind: 'codebook',
    fanIn: c.embedDim,
  });
  for (const layer of convs) {
    const { name, inChannels, outChannels, kernel, transposed } = layer;
    // PyTorch takes fan-in from weight dim 1: in_channels for Conv2d, out_channels for ConvTranspose2d.
    const fanIn = (transposed ? outChannels : inChannels) * kernel * kernel;
    const weightShape = transposed ? [inChannels, outChannels, kernel, kernel] : [outChannels, inChannels, kernel, kernel];
    specs.push({ name: `${name}.weight`, torchShape: weightShape, kind: transposed ? 'convTranspose' : 'conv', fanIn });
    specs.push({ name: `${name}.bias`, torchShape: [outChannels], kind: 'bias', fanIn });
    // The codebooks sit right after the 1×1 convs that feed them, as in the original module order.
    if (name === 'quantize_conv_t') specs.push(codebookSpec(codebooks.top));
    if (name === 'quantize_conv_b') specs.push(codebookSpec(codebooks.bottom));
  }
  return specs;
}

export function parameterCount(c: VQVAE2Config): number {
  return parameterSpecs(c).reduce((sum, s) => sum + s.torchShape.reduce((a, b) => a * b, 1), 0);
}
