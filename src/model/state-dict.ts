import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.js';
import type { ParameterSpec } from './vqvae2.js';
import type { NamedTensor, TensorMap } from './safetensors.js';

/**
 * PyTorch ↔ TensorFlow.js layouts of the VQ-VAE2's parameters.
 *
 * Conv2d weights are [out, in, kh, kw] in PyTorch and [kh, kw, in, out] in tfjs; ConvTranspose2d
 * weights are [in, out, kh, kw] in PyTorch and [kh, kw, out, in] for tf.conv2dTranspose — both are
 * the same axis permutation. Codebooks are [1, codes, dim] in PyTorch, [codes, dim] here.
 */

const TORCH_TO_TF = [2, 3, 1, 0];
const TF_TO_TORCH = [3, 2, 0, 1];

/** The shape a parameter has in tfjs. */
export function tfShape(spec: ParameterSpec): number[] {
  const s = spec.torchShape;
  switch (spec.kind) {
    case 'conv':
    case 'convTranspose':
      return TORCH_TO_TF.map((axis) => s[axis]);
    case 'codebook':
      return s.slice(1);
    case 'bias':
      return s;
  }
}

/** A tensor in PyTorch layout (as stored) → the tfjs layout the model computes with. */
export function fromTorchLayout(spec: ParameterSpec, values: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    switch (spec.kind) {
      case 'conv':
      case 'convTranspose':
        return tf.transpose(values, TORCH_TO_TF);
      case 'codebook':
        return tf.reshape(values, tfShape(spec));
      case 'bias':
        return values.clone();
    }
  });
}

/** A tensor in the model's tfjs layout → PyTorch layout. */
export function toTorchLayout(spec: ParameterSpec, values: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    switch (spec.kind) {
      case 'conv':
      case 'convTranspose':
        return tf.transpose(values, TF_TO_TORCH);
      case 'codebook':
        return tf.reshape(values, spec.torchShape);
      case 'bias':
        return values.clone();
    }
  });
}

/** A tfjs-layout tensor as a safetensors entry in PyTorch layout (F32). */
export function toNamedTensor(spec: ParameterSpec, values: tf.Tensor): NamedTensor {
  const torch = toTorchLayout(spec, values);
  const data = torch.dataSync() as Float32Array;
  torch.dispose();
  return { dtype: 'F32', shape: spec.torchShape, data: Float32Array.from(data) };
}

const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Checks that `tensors` holds exactly the parameters of `specs` with their shapes, as F32;
 * anything else (another preset, another model, a truncated file) is one clear error naming the
 * first mismatches. `source` names the checkpoint, `model` the expected model.
 */
export function checkStateDict(tensors: TensorMap, specs: ParameterSpec[], source: string, model: string): void {
  const problems: string[] = [];
  const expected = new Set(specs.map((s) => s.name));
  for (const spec of specs) {
    const t = tensors.get(spec.name);
    if (!t) problems.push(`missing ${spec.name}`);
    else if (!sameShape(t.shape, spec.torchShape)) {
      problems.push(`${spec.name} is [${t.shape.join(', ')}], expected [${spec.torchShape.join(', ')}]`);
    } else if (t.dtype !== 'F32') problems.push(`${spec.name} is ${t.dtype}, expected F32`);
  }
  for (const name of tensors.keys()) if (!expected.has(name)) problems.push(`unexpected ${name}`);
  if (problems.length > 0) {
    const shown = problems.slice(0, 3).join('; ') + (problems.length > 3 ? `; and ${problems.length - 3} more` : '');
    throw new UserError(`${source} does not fit the ${model}: ${shown}`);
  }
}
