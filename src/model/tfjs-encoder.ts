import * as tf from '@tensorflow/tfjs';
import { MEL, logMel } from '../audio/mel.js';
import { UserError } from '../errors.js';
import { chooseBackend, requestedBackend } from './backend.js';
import { TFJS_EMBEDDINGS, ENCODER_NAMES, embeddingSize, type EncoderName } from './encoders.js';
import { readSafetensors, writeSafetensors, type TensorMap } from './safetensors.js';
import { createVQVAE2, presetOfStateDict, type VQVAE2 } from './vqvae.js';

/**
 * The TensorFlow.js form of a model directory's encoder: the checkpoint's weights with the
 * encoder's name, run by boiler's own VQ-VAE2 (mel in JS, the model on the chosen tfjs backend).
 * It is the fallback where onnxruntime-node does not load; the ONNX encoder is ~10× faster.
 */
export class TfjsEncoder {
  readonly dimension: number;

  private constructor(
    private readonly model: VQVAE2,
    readonly encoder: EncoderName,
  ) {
    this.dimension = embeddingSize(model, encoder);
  }

  /** From a PyTorch-layout state_dict of either preset. */
  static fromStateDict(weights: TensorMap, encoder: EncoderName, source = 'the checkpoint'): TfjsEncoder {
    const preset = presetOfStateDict(weights);
    if (!preset) throw new UserError(`${source} is not a VQ-VAE2 checkpoint of a known preset`);
    const model = createVQVAE2(preset);
    model.loadStateDict(weights, source);
    return new TfjsEncoder(model, encoder);
  }

  /** Reads the file `save()` wrote, activating the backend (BOILER_BACKEND, else the fastest that loads). */
  static async load(path: string): Promise<TfjsEncoder> {
    await chooseBackend(requestedBackend(undefined));
    const { tensors, metadata } = readSafetensors(path);
    const encoder = metadata.encoder as EncoderName;
    if (!ENCODER_NAMES.includes(encoder)) throw new UserError(`${path} does not name an encoder: run boiler index again to rewrite it`);
    return TfjsEncoder.fromStateDict(tensors, encoder, path);
  }

  /** Writes the weights and the encoder's name as one safetensors file. */
  static save(path: string, weights: TensorMap, encoder: EncoderName): void {
    writeSafetensors(path, weights, { encoder, format: 'pt' });
  }

  /** wavs: `count` rows of 2**17 loader floats; returns `count` rows of `dimension` floats. */
  async embed(wavs: Float32Array, count: number): Promise<Float32Array> {
    const mel = tf.tensor3d(logMel(wavs, count), [count, MEL.nMels, MEL.frames]);
    try {
      return TFJS_EMBEDDINGS[this.encoder](this.model, mel);
    } finally {
      mel.dispose();
    }
  }

  async close(): Promise<void> {
    this.model.dispose();
  }
}
