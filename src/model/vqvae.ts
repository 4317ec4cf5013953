import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.js';
import { applyConv } from './layers.js';
import { PRESET_NAMES, PRESETS, architecture, parameterSpecs } from './presets.js';
import type { Architecture, ConvLayer, ParameterSpec, PresetName, VQVAE2Config } from './presets.js';
import { atTargetNorm, quantize, renormalisedCodebook } from './quantize.js';
import type { TensorMap } from './safetensors.js';
import { checkStateDict, fromTorchLayout, tfShape, toNamedTensor } from './state-dict.js';
import { ensureWasmConvKernels } from './wasm-kernels.js';

export type { PresetName, VQVAE2Config } from './presets.js';
export { codeUsage, codeUsageEntropy } from './quantize.js';

export type CodebookLevel = 'top' | 'bottom';

/** Codes, quantised latents and latent loss of a batch: what `encode` gives. */
export interface Encoded {
  /** Top latents after quantisation, NHWC [N, 1, 23, embedDim]. */
  quantT: tf.Tensor4D;
  /** Bottom latents after quantisation, NHWC [N, 19, 63, embedDim]. */
  quantB: tf.Tensor4D;
  /** Top code indices, int32, laid out as the original's id_t: [N, time 23, mel 1]. */
  idT: tf.Tensor3D;
  /** Bottom code indices, int32, laid out as the original's id_b: [N, time 63, mel 19]. */
  idB: tf.Tensor3D;
  /** mean(vq_t) + mean(vq_b) + 0.01·(mean(enc_t) + mean(enc_b)). */
  latentLoss: tf.Scalar;
}

/** The bottom encoder's continuous activations (NHWC, H = mel, W = time), before any quantiser. */
export interface BottomActivations {
  /** After enc_b's first convolution and its ReLU: [N, 38, 126, C/2]. */
  firstLayer: tf.Tensor4D;
  /** enc_b's output, the quantisers' continuous input: [N, 19, 63, C]. */
  bottom: tf.Tensor4D;
}

export interface Forward extends Encoded {
  /** Decoder output, [N, 80, 256] like the input mel. */
  recon: tf.Tensor3D;
}

export interface Losses {
  /** L1(recon, mel) + latentLossWeight · latent: the training objective. */
  loss: tf.Scalar;
  recon: tf.Scalar;
  latent: tf.Scalar;
  idT: tf.Tensor3D;
  idB: tf.Tensor3D;
}

export interface Gradients extends Losses {
  /** d loss / d parameter by state_dict name, tfjs layouts. */
  grads: Map<string, tf.Tensor>;
}

/** Two slices' (already weighted) losses and gradients added, their codes concatenated; frees both. */
function sumParts(a: Gradients, b: Gradients): Gradients {
  // Single ops, nothing to tidy (and tf.tidy would not see the tensors inside a Map).
  const sum: Gradients = {
    loss: tf.add(a.loss, b.loss),
    recon: tf.add(a.recon, b.recon),
    latent: tf.add(a.latent, b.latent),
    idT: tf.concat([a.idT, b.idT]),
    idB: tf.concat([a.idB, b.idB]),
    grads: new Map([...a.grads].map(([k, g]) => [k, tf.add(g, b.grads.get(k)!)])),
  };
  for (const part of [a, b]) tf.dispose([part.loss, part.recon, part.latent, part.idT, part.idB, ...part.grads.values()]);
  return sum;
}

const ENCODER_PENALTY_WEIGHT = 0.01;
export const DEFAULT_LATENT_LOSS_WEIGHT = 0.5;

/**
 * The original boiler's VQVAE2 over log-mel spectrograms (rosinality's vq-vae-2 with large kernels
 * and the normalised quantiser): a bottom encoder to a 19×63 grid, a top encoder to 1×23, a top
 * quantiser and decoder whose output joins the bottom encoding for the bottom quantiser, and a
 * decoder from both quantised grids back to 80×256.
 *
 * Tensors are NHWC (H = mel, W = time); parameters live in tfjs layouts under their PyTorch
 * state_dict names and are converted at load/save.
 */
export class VQVAE2 {
  readonly preset: PresetName;
  readonly config: VQVAE2Config;
  /** Trainable parameters by PyTorch state_dict name, in state_dict order (tfjs layouts). */
  readonly variables: Map<string, tf.Variable>;
  private readonly specs: ParameterSpec[];
  private readonly layers: Map<string, ConvLayer>;
  private readonly arch: Architecture;

  constructor(preset: PresetName, initial: Map<string, tf.Tensor>) {
    this.preset = preset;
    this.config = PRESETS[preset];
    this.arch = architecture(this.config);
    this.specs = parameterSpecs(this.config);
    this.layers = new Map(this.arch.convs.map((l) => [l.name, l]));
    // Unnamed variables: tfjs variable names are global, and two models may live side by side.
    this.variables = new Map(this.specs.map((s) => [s.name, tf.variable(initial.get(s.name)!, true)]));
  }

  /** Replaces every parameter from a PyTorch-layout state_dict; a checkpoint of another shape is a UserError. */
  loadStateDict(tensors: TensorMap, source = 'the checkpoint'): void {
    const other = presetOfStateDict(tensors);
    if (other !== undefined && other !== this.preset) {
      throw new UserError(`${source} is a checkpoint of the '${other}' preset, not '${this.preset}': pass --preset ${other}`);
    }
    checkStateDict(tensors, this.specs, source, `'${this.preset}' VQ-VAE2`);
    for (const spec of this.specs) {
      const t = tensors.get(spec.name)!;
      tf.tidy(() => this.variables.get(spec.name)!.assign(fromTorchLayout(spec, tf.tensor(t.data as Float32Array, t.shape))));
    }
  }

  /** The parameters as a PyTorch state_dict (names, layouts and order of the original), F32. */
  stateDict(): TensorMap {
    return new Map(this.specs.map((s) => [s.name, toNamedTensor(s, this.variables.get(s.name)!)]));
  }

  /** Rescales both raw codebooks to norm 0.06·√dim per code; the original does this after every optimiser step. */
  renormaliseCodebooks(): void {
    for (const book of Object.values(this.arch.codebooks)) {
      const v = this.variables.get(book.name)!;
      tf.tidy(() => v.assign(renormalisedCodebook(v as tf.Tensor as tf.Tensor2D)));
    }
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
  }

  /** The raw codebook of a level, [codes, embedDim]: a trainer's handle for setting codes from data. */
  codebook(level: CodebookLevel): tf.Variable {
    return this.variables.get(this.codebookName(level))!;
  }

  /** The state_dict name of a level's codebook (its optimiser state goes by the same name). */
  codebookName(level: CodebookLevel): string {
    return this.arch.codebooks[level].name;
  }

  /**
   * The rows a level's quantiser compares with its codes for `mel` [N, 80, 256], rescaled to the
   * quantiser's norm: [N·23, embedDim] for the top, [N·19·63, embedDim] for the bottom (whose
   * input passes through the top's current codes, as in `encode`). For setting codes from data.
   */
  quantizerInputs(mel: tf.Tensor3D, level: CodebookLevel): tf.Tensor2D {
    ensureWasmConvKernels();
    return tf.tidy(() => {
      const [n, mels, frames] = mel.shape;
      const encB = this.encodeBottom(tf.reshape(mel, [n, mels, frames, 1]) as tf.Tensor4D);
      const topInput = this.conv('quantize_conv_t', this.encodeTop(encB));
      const rows = (grid: tf.Tensor4D) => atTargetNorm(tf.reshape(grid, [-1, this.config.embedDim]) as tf.Tensor2D);
      if (level === 'top') return rows(topInput);
      const top = this.quantizeGrid(topInput, this.arch.codebooks.top.name);
      return rows(this.conv('quantize_conv_b', tf.concat([this.decodeTop(top.quant), encB], -1)));
    });
  }

  /** mel [N, 80, 256] → the continuous activations of the bottom encoder (no quantiser): what the pooled embeddings summarise. */
  bottomActivations(mel: tf.Tensor3D): BottomActivations {
    ensureWasmConvKernels();
    return tf.tidy(() => {
      const [n, mels, frames] = mel.shape;
      const { firstLayer, bottom } = this.bottomEncoderLayers(tf.reshape(mel, [n, mels, frames, 1]) as tf.Tensor4D);
      return { firstLayer, bottom };
    }) as BottomActivations;
  }

  /** mel [N, 80, 256] → codes and quantised latents (the encoder half; no decoder). */
  encode(mel: tf.Tensor3D): Encoded {
    ensureWasmConvKernels();
    return tf.tidy(() => {
      const [n, mels, frames] = mel.shape;
      const x = tf.reshape(mel, [n, mels, frames, 1]) as tf.Tensor4D;
      const encB = this.encodeBottom(x); // [N, 19, 63, C]
      const encT = this.encodeTop(encB); // [N, 1, 23, C]
      const top = this.quantizeGrid(this.conv('quantize_conv_t', encT), this.arch.codebooks.top.name);
      const decT = this.decodeTop(top.quant); // [N, 19, 63, E]
      const bottom = this.quantizeGrid(this.conv('quantize_conv_b', tf.concat([decT, encB], -1)), this.arch.codebooks.bottom.name);
      const vq = tf.add(tf.mean(top.vqPenalty), tf.mean(bottom.vqPenalty));
      const commitment = tf.add(tf.mean(top.encoderPenalty), tf.mean(bottom.encoderPenalty));
      const latentLoss = tf.add(vq, tf.mul(ENCODER_PENALTY_WEIGHT, commitment)) as tf.Scalar;
      return { quantT: top.quant, quantB: bottom.quant, idT: top.ids, idB: bottom.ids, latentLoss };
    });
  }

  /** mel [N, 80, 256] → everything the reference pins down: reconstruction, codes, latents, latent loss. */
  forward(mel: tf.Tensor3D): Forward {
    return tf.tidy(() => {
      const encoded = this.encode(mel);
      const recon = tf.reshape(this.decode(encoded.quantT, encoded.quantB), mel.shape) as tf.Tensor3D;
      return { ...encoded, recon };
    });
  }

  /**
   * The training objective L1(recon, mel) + latentLossWeight · latent. Meant to run inside
   * tf.variableGrads / optimizer.minimize, whose tidy would dispose everything but the returned
   * scalar: `recon`, `latent`, `idT` and `idB` are therefore tf.keep()'d, and the caller disposes them.
   */
  loss(mel: tf.Tensor3D, latentLossWeight = DEFAULT_LATENT_LOSS_WEIGHT): Losses {
    const out = tf.tidy(() => {
      const { recon, latentLoss, idT, idB } = this.forward(mel);
      const reconLoss = tf.mean(tf.abs(tf.sub(recon, mel))) as tf.Scalar;
      const loss = tf.add(reconLoss, tf.mul(latentLossWeight, latentLoss)) as tf.Scalar;
      return { loss, recon: reconLoss, latent: latentLoss, idT, idB };
    });
    for (const t of [out.recon, out.latent, out.idT, out.idB]) tf.keep(t);
    return out;
  }

  /**
   * One forward and backward pass: the losses and the gradient of `loss` for every parameter,
   * by state_dict name, in tfjs layouts (the caller disposes all tensors returned).
   *
   * With `microBatch` smaller than the batch, the batch runs in slices of that many clips whose
   * gradients and losses are averaged, weighted by slice size: the same values as one pass (every
   * term of the loss is a mean over clips of per-clip means), in a fraction of the memory.
   */
  lossAndGradients(mel: tf.Tensor3D, latentLossWeight = DEFAULT_LATENT_LOSS_WEIGHT, microBatch = mel.shape[0]): Gradients {
    const clips = mel.shape[0];
    if (microBatch >= clips) return this.singlePass(mel, latentLossWeight);
    const parts: Gradients[] = [];
    for (let start = 0; start < clips; start += microBatch) {
      const size = Math.min(microBatch, clips - start);
      const slice = tf.slice(mel, [start, 0, 0], [size, -1, -1]);
      const part = this.singlePass(slice, latentLossWeight);
      slice.dispose();
      // Weight now, so that at most two sets of gradients are alive at a time.
      const weighted = <T extends tf.Tensor>(t: T): T => tf.mul(t, size / clips);
      parts.push({
        ...part,
        loss: weighted(part.loss),
        recon: weighted(part.recon),
        latent: weighted(part.latent),
        grads: new Map([...part.grads].map(([k, g]) => [k, weighted(g)])),
      });
      tf.dispose([part.loss, part.recon, part.latent, ...part.grads.values()]);
      if (parts.length === 2) parts.splice(0, 2, sumParts(parts[0], parts[1]));
    }
    return parts[0];
  }

  private singlePass(mel: tf.Tensor3D, latentLossWeight: number): Gradients {
    let aux: Omit<Losses, 'loss'> | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const { loss, ...rest } = this.loss(mel, latentLossWeight);
      aux = rest;
      return loss;
    }, [...this.variables.values()]);
    const byName = new Map<string, tf.Tensor>();
    for (const [name, v] of this.variables) byName.set(name, grads[v.name]);
    return { loss: value, ...aux!, grads: byName };
  }

  private conv(name: string, x: tf.Tensor4D): tf.Tensor4D {
    const weight = this.variables.get(`${name}.weight`) as tf.Tensor as tf.Tensor4D;
    const bias = this.variables.get(`${name}.bias`) as tf.Tensor as tf.Tensor1D;
    return applyConv(this.layers.get(name)!, { weight, bias }, x);
  }

  /**
   * rosinality's ResBlocks: ReLU(inplace) → 3×3 conv → ReLU → 1×1 conv, plus the input. The
   * in-place ReLU rewrites the block's input, so the skip connection adds relu(x), not x.
   */
  private resBlocks(prefix: string, x: tf.Tensor4D): tf.Tensor4D {
    for (let i = 0; i < this.config.nResBlock; i++) {
      const activated = tf.relu(x);
      const inner = this.conv(`${prefix}.${i}.conv.3`, tf.relu(this.conv(`${prefix}.${i}.conv.1`, activated)));
      x = tf.add(inner, activated);
    }
    return x;
  }

  /** enc_b: [N, 80, 256, 1] → [N, 19, 63, C]. */
  private encodeBottom(x: tf.Tensor4D): tf.Tensor4D {
    return this.bottomEncoderLayers(x).bottom;
  }

  /** enc_b with its first layer's output kept: the embeddings pool both. */
  private bottomEncoderLayers(x: tf.Tensor4D): BottomActivations {
    const firstLayer = tf.relu(this.conv('enc_b.0', x)); // [N, 38, 126, C/2]
    let h = tf.relu(this.conv('enc_b.2', firstLayer)); // [N, 19, 63, C]
    h = this.conv('enc_b.4', h);
    return { firstLayer, bottom: tf.relu(this.resBlocks('enc_b.5', h)) };
  }

  /** enc_t: [N, 19, 63, C] → [N, 1, 23, C]. */
  private encodeTop(x: tf.Tensor4D): tf.Tensor4D {
    const h = tf.relu(this.conv('enc_t.0', x)); // [N, 1, 23, C/2]
    return tf.relu(this.resBlocks('enc_t.3', this.conv('enc_t.2', h)));
  }

  /** dec_t: [N, 1, 23, E] → [N, 19, 63, E]. */
  private decodeTop(quantT: tf.Tensor4D): tf.Tensor4D {
    const h = tf.relu(this.resBlocks('dec_t.1', this.conv('dec_t.0', quantT)));
    return this.conv('dec_t.3', h);
  }

  /** upsample_t + dec: quantT [N, 1, 23, E] and quantB [N, 19, 63, E] → [N, 80, 256, 1]. */
  private decode(quantT: tf.Tensor4D, quantB: tf.Tensor4D): tf.Tensor4D {
    const upsampled = this.conv('upsample_t.0', quantT); // [N, 19, 63, E]
    let h = this.conv('dec.0', tf.concat([upsampled, quantB], -1));
    h = tf.relu(this.resBlocks('dec.1', h));
    h = tf.relu(this.conv('dec.3', h)); // [N, 38, 126, C/2]
    return this.conv('dec.5', h); // [N, 80, 256, 1]
  }

  /** Quantises an NHWC grid position by position; ids come out as [N, W, H] like the original's. */
  private quantizeGrid(x: tf.Tensor4D, codebook: string) {
    const [n, h, w, e] = x.shape;
    const q = quantize(tf.reshape(x, [n * h * w, e]), this.variables.get(codebook) as tf.Tensor as tf.Tensor2D);
    return {
      quant: tf.reshape(q.quant, [n, h, w, e]) as tf.Tensor4D,
      ids: tf.transpose(tf.reshape(q.ids, [n, h, w]), [0, 2, 1]) as tf.Tensor3D,
      vqPenalty: q.vqPenalty,
      encoderPenalty: q.encoderPenalty,
    };
  }
}

/** The preset whose parameter names and shapes a state_dict has, if any. */
export function presetOfStateDict(tensors: TensorMap): PresetName | undefined {
  return PRESET_NAMES.find((preset) => {
    try {
      checkStateDict(tensors, parameterSpecs(PRESETS[preset]), 'state_dict', `${preset} model`);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * A model with PyTorch's default initialisation, seeded: conv weights and biases uniform in
 * ±1/√fan_in (kaiming_uniform with a = √5), codebooks standard normal × 0.06 then renormalised.
 */
export function createVQVAE2(preset: PresetName, seed = 0): VQVAE2 {
  const initial = new Map<string, tf.Tensor>();
  for (const [index, spec] of parameterSpecs(PRESETS[preset]).entries()) {
    // One stream per parameter (fewer than 1000 of them), so that each is independent of the others' sizes.
    const key = seed * 1000 + index;
    initial.set(
      spec.name,
      tf.tidy(() => {
        if (spec.kind === 'codebook') return renormalisedCodebook(tf.mul(tf.randomNormal(tfShape(spec), 0, 1, 'float32', key), 0.06));
        const bound = 1 / Math.sqrt(spec.fanIn);
        return tf.randomUniform(tfShape(spec), -bound, bound, 'float32', key);
      }),
    );
  }
  const model = new VQVAE2(preset, initial);
  for (const t of initial.values()) t.dispose();
  return model;
}
