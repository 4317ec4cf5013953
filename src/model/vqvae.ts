import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.js';
import { atTargetNorm, renormalisedCodebook } from './quantize.js';
import type { TensorMap } from './safetensors.js';
import { checkStateDict, fromTorchLayout, tfShape, toNamedTensor } from './state-dict.js';
import { TfjsOps } from './tfjs-ops.js';
import { CODE_SCALE, PRESET_NAMES, PRESETS, encode, encodeBottom, bottomLatent, decode, layers, parameterSpecs, topLatent } from './vqvae2.js';
import type { BottomEncoding, Layers, ParameterSpec, PresetName, VQVAE2Config } from './vqvae2.js';

export type { PresetName, VQVAE2Config } from './vqvae2.js';
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

/** The bottom encoder's continuous activations (NHWC, H = mel, W = time), before any quantiser: [N, 38, 126, C/2] and [N, 19, 63, C]. */
export type BottomActivations = BottomEncoding<tf.Tensor4D>;

export interface Forward extends Encoded {
  /** Decoder output, [N, 80, 256] like the input mel. */
  recon: tf.Tensor3D;
}

const ENCODER_PENALTY_WEIGHT = 0.01;

/** mel [N, 80, 256] → the one-channel NHWC image the first conv reads. */
function melImage(mel: tf.Tensor3D): tf.Tensor4D {
  const [n, mels, frames] = mel.shape;
  return tf.reshape(mel, [n, mels, frames, 1]);
}

/**
 * The VQ-VAE2 of src/model/vqvae2.ts in TensorFlow.js: its parameters as tfjs variables, and its
 * forward pass run with TfjsOps. Tensors are NHWC (H = mel, W = time); parameters live in tfjs
 * layouts under their PyTorch state_dict names and are converted at load/save.
 */
export class VQVAE2 {
  readonly preset: PresetName;
  readonly config: VQVAE2Config;
  readonly layers: Layers;
  /** Trainable parameters by PyTorch state_dict name, in state_dict order (tfjs layouts). */
  readonly variables: Map<string, tf.Variable>;
  private readonly specs: ParameterSpec[];
  private readonly ops: TfjsOps;

  constructor(preset: PresetName, initial: Map<string, tf.Tensor>) {
    this.preset = preset;
    this.config = PRESETS[preset];
    this.layers = layers(this.config);
    this.specs = parameterSpecs(this.config);
    // Unnamed variables: tfjs variable names are global, and two models may live side by side.
    this.variables = new Map(this.specs.map((s) => [s.name, tf.variable(initial.get(s.name)!, true)]));
    this.ops = new TfjsOps(this.variables);
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

  /** Rescales both raw codebooks to norm CODE_SCALE·√dim per code; the original does this after every optimiser step. */
  renormaliseCodebooks(): void {
    for (const level of ['top', 'bottom'] as const) {
      const v = this.codebook(level);
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
    const book = level === 'top' ? this.layers.quantizeTop : this.layers.quantizeBottom;
    return `${book.name}.embedding0`;
  }

  /**
   * The rows a level's quantiser compares with its codes for `mel` [N, 80, 256], rescaled to the
   * quantiser's norm: [N·23, embedDim] for the top, [N·19·63, embedDim] for the bottom (whose
   * input passes through the top's current codes, as in `encode`). For setting codes from data.
   */
  quantizerInputs(mel: tf.Tensor3D, level: CodebookLevel): tf.Tensor2D {
    return tf.tidy(() => {
      const { ops, layers } = this;
      const { bottom } = encodeBottom(ops, layers, melImage(mel));
      const top = topLatent(ops, layers, bottom);
      const rows = (grid: tf.Tensor4D) => atTargetNorm(tf.reshape(grid, [-1, this.config.embedDim]));
      if (level === 'top') return rows(top);
      return rows(bottomLatent(ops, layers, ops.quantise(top, layers.quantizeTop).quant, bottom));
    });
  }

  /** mel [N, 80, 256] → the continuous activations of the bottom encoder (no quantiser): what the pooled embeddings summarise. */
  bottomActivations(mel: tf.Tensor3D): BottomActivations {
    return tf.tidy(() => {
      const { firstLayer, bottom } = encodeBottom(this.ops, this.layers, melImage(mel));
      return { firstLayer, bottom };
    });
  }

  /** mel [N, 80, 256] → codes and quantised latents (the encoder half; no decoder). */
  encode(mel: tf.Tensor3D): Encoded {
    return tf.tidy(() => {
      const { top, bottomCodes: bottom } = encode(this.ops, this.layers, melImage(mel));
      const vq = tf.add(tf.mean(top.vqPenalty), tf.mean(bottom.vqPenalty));
      const commitment = tf.add(tf.mean(top.encoderPenalty), tf.mean(bottom.encoderPenalty));
      const latentLoss: tf.Scalar = tf.add(vq, tf.mul(ENCODER_PENALTY_WEIGHT, commitment));
      return { quantT: top.quant, quantB: bottom.quant, idT: top.ids, idB: bottom.ids, latentLoss };
    });
  }

  /** mel [N, 80, 256] → everything the reference pins down: reconstruction, codes, latents, latent loss. */
  forward(mel: tf.Tensor3D): Forward {
    return tf.tidy(() => {
      const encoded = this.encode(mel);
      const recon: tf.Tensor3D = tf.reshape(decode(this.ops, this.layers, encoded.quantT, encoded.quantB), mel.shape);
      return { ...encoded, recon };
    });
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
 * ±1/√fan_in (kaiming_uniform with a = √5), codebooks standard normal × CODE_SCALE then renormalised.
 */
export function createVQVAE2(preset: PresetName, seed = 0): VQVAE2 {
  const initial = new Map<string, tf.Tensor>();
  for (const [index, spec] of parameterSpecs(PRESETS[preset]).entries()) {
    // One stream per parameter (fewer than 1000 of them), so that each is independent of the others' sizes.
    const key = seed * 1000 + index;
    initial.set(
      spec.name,
      tf.tidy(() => {
        if (spec.kind === 'codebook') return renormalisedCodebook(tf.mul(tf.randomNormal(tfShape(spec), 0, 1, 'float32', key), CODE_SCALE));
        const bound = 1 / Math.sqrt(spec.fanIn);
        return tf.randomUniform(tfShape(spec), -bound, bound, 'float32', key);
      }),
    );
  }
  const model = new VQVAE2(preset, initial);
  for (const t of initial.values()) t.dispose();
  return model;
}
