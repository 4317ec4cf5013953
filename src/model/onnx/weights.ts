import { UserError } from '../../errors.js';
import type { TensorMap } from '../safetensors.js';

/**
 * Reads a VQ-VAE2 checkpoint's tensors by PyTorch name and checks each against the shape the
 * graph expects, so that a checkpoint of another model fails with one line naming the tensor,
 * instead of deep inside onnxruntime. `null` in an expected shape accepts any size there:
 * channel counts are taken from the checkpoint (the paper preset and smaller ones share the code).
 */
export class Weights {
  constructor(private readonly stateDict: TensorMap) {}

  has(name: string): boolean {
    return this.stateDict.has(name);
  }

  get(name: string, expected: readonly (number | null)[]): { shape: number[]; data: Float32Array } {
    const tensor = this.stateDict.get(name);
    if (!tensor) throw new UserError(`the checkpoint has no tensor ${name}: it is not a boiler VQ-VAE2 checkpoint`);
    const fits = tensor.shape.length === expected.length && expected.every((size, i) => size === null || size === tensor.shape[i]);
    if (!fits) {
      const wanted = expected.map((size) => size ?? '?').join('×');
      throw new UserError(`the checkpoint's ${name} is ${tensor.shape.join('×')}, where a boiler VQ-VAE2 has ${wanted}: use a checkpoint that boiler train wrote`);
    }
    if (!(tensor.data instanceof Float32Array)) {
      throw new UserError(`the checkpoint's ${name} is ${tensor.dtype}, where a boiler VQ-VAE2 has F32: use a checkpoint that boiler train wrote`);
    }
    return { shape: tensor.shape, data: tensor.data };
  }
}
