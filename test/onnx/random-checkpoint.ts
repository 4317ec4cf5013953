import type { TensorMap } from '../../src/model/safetensors.js';

export interface CheckpointSize {
  channel: number;
  resChannel: number;
  resBlocks: number;
  embedDim: number;
  codesTop: number;
  codesBottom: number;
}

/** A deterministic pseudo-random VQ-VAE2 state dict (PyTorch names and layouts) of the given size: the boiler kernels, other channel counts. */
export function randomCheckpoint(size: CheckpointSize): TensorMap {
  const { channel: c, resChannel: r, resBlocks, embedDim: e, codesTop, codesBottom } = size;
  let seed = 12345;
  const uniform = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  const map: TensorMap = new Map();
  const tensor = (name: string, shape: number[], scale: number) => {
    const count = shape.reduce((a, b) => a * b, 1);
    map.set(name, { dtype: 'F32', shape, data: Float32Array.from({ length: count }, () => uniform() * scale) });
  };
  /** PyTorch's default init scale: uniform in ±1/√fan_in. */
  const conv = (name: string, shape: number[], fanIn = shape[1] * shape[2] * shape[3]) => {
    tensor(`${name}.weight`, shape, 2 / Math.sqrt(fanIn));
    tensor(`${name}.bias`, [name.includes('dec_t.3') ? shape[1] : shape[0]], 2 / Math.sqrt(fanIn));
  };
  const res = (prefix: string) => {
    for (let i = 0; i < resBlocks; i++) {
      conv(`${prefix}.${i}.conv.1`, [r, c, 3, 3]);
      conv(`${prefix}.${i}.conv.3`, [c, r, 1, 1]);
    }
  };
  conv('enc_b.0', [c / 2, 1, 8, 8]);
  conv('enc_b.2', [c, c / 2, 4, 4]);
  conv('enc_b.4', [c, c, 3, 3]);
  res('enc_b.5');
  conv('enc_t.0', [c / 2, c, 20, 20]);
  conv('enc_t.2', [c, c / 2, 3, 3]);
  res('enc_t.3');
  conv('quantize_conv_t', [e, c, 1, 1]);
  tensor('quantize_t.embedding0', [1, codesTop, e], 1);
  conv('dec_t.0', [c, e, 3, 3]);
  res('dec_t.1');
  conv('dec_t.3', [c, e, 21, 21], e * 21 * 21);
  conv('quantize_conv_b', [e, e + c, 1, 1]);
  tensor('quantize_b.embedding0', [1, codesBottom, e], 1);
  return map;
}
